"""``/v1/psk-limits``: the PSK limit table in force on a date (353-FZ art. 6 part 11)."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter

from app.core.errors import NotFound, problem_responses
from app.deps import Reader, ReadSession, ServiceRoute, Today
from app.pricing import repository
from app.pricing.limits import quarter_of, table_json
from schemas.pricing import PskLimitTable

router = APIRouter(prefix="/v1", tags=["pricing"], route_class=ServiceRoute)


@router.get(
    "/psk-limits",
    summary="The PSK limit table in force on a date (default: today)",
    responses=problem_responses(401, 404, 422, 429, 503),
)
def psk_limits(principal: Reader, session: ReadSession, today: Today, on: date | None = None) -> PskLimitTable:
    day = on or today
    found = repository.in_force(session, day)
    if found is None:
        raise NotFound(
            f"No PSK limit table is loaded for {quarter_of(day)}; load the Bank of Russia's table with "
            "'loans psk-limits load FILE'."
        )
    table, version = found
    return PskLimitTable.model_validate({**table_json(table), "version": version, "valid_to": table.valid_to})
