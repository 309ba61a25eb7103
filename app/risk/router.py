"""Risk officers' routes: portfolios, plans and the security service's flags."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from app.core.errors import problem_responses
from app.deps import AsOf, ManagerPath, PageParams, ReadSession, ServiceRoute, Today, WriteSession
from app.deps import RiskOfficer as RiskReader
from app.risk import flags as flag_rules
from app.risk import service
from schemas.managers import PlanFulfilment, PlanSet, ScopeId, Segment
from schemas.portfolio import FlagSort, FlagStatus, ManagerFlags, Portfolio

router = APIRouter(prefix="/v1", tags=["risk"], route_class=ServiceRoute)

_CSV: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "Every manager's figures; `Accept: text/csv` returns every manager matching the "
        "filters as CSV (no pages)",
        "content": {"text/csv": {"schema": {"type": "string"}}},
    }
}


@router.get(
    "/managers/{manager_id}/portfolio",
    summary="A manager's portfolio as of a date",
    responses=problem_responses(401, 403, 404, 422, 429, 503),
)
def get_portfolio(
    manager_id: ManagerPath, principal: RiskReader, session: ReadSession, as_of: AsOf, day: Today
) -> Portfolio:
    return service.portfolio(session=session, manager_id=manager_id, principal=principal, as_of=as_of,
                             business_date=day)


@router.put(
    "/managers/{manager_id}/plan",
    summary="Set a manager's plan for a month; returns plan fulfilment",
    responses=problem_responses(401, 403, 404, 413, 422, 429, 503),
)
def set_plan(
    manager_id: ManagerPath, body: PlanSet, principal: RiskReader, session: WriteSession, day: Today
) -> list[PlanFulfilment]:
    return service.set_plan(session=session, manager_id=manager_id, plan=body, principal=principal, as_of=day)


@router.get(
    "/risk/manager-flags",
    summary="Every manager against the problem loans and first-payment defaults their PDs explain",
    responses={**_CSV, **problem_responses(401, 403, 422, 429, 503)},
)
def manager_flags(
    request: Request,
    _: RiskReader,
    session: ReadSession,
    day: Today,
    as_of: AsOf,
    page: PageParams,
    fdr: Annotated[float, Query(gt=0, le=0.5, description="False discovery rate")] = 0.05,
    min_expected: Annotated[
        float, Query(ge=1, le=1000, description="Expected problems a manager needs to inform the honest spread")
    ] = 5.0,
    segment: Segment | None = None,
    branch_id: Annotated[ScopeId | None, Query()] = None,
    partner_id: Annotated[ScopeId | None, Query()] = None,
    status: Annotated[FlagStatus | None, Query(description="Only managers with this flag status")] = None,
    sort: Annotated[FlagSort, Query(description="Sort key; a leading - sorts descending")] = FlagSort.Q,
) -> ManagerFlags:
    run = flag_rules.run(session, as_of=as_of, business_date=day, fdr=fdr, min_expected=min_expected)
    filters = flag_rules.FlagFilters(segment=segment.value if segment else None, branch_id=branch_id,
                                     partner_id=partner_id, status=status)
    if "text/csv" in request.headers.get("accept", ""):
        out = io.StringIO()
        csv.writer(out).writerows(flag_rules.csv_rows(flag_rules.page(run, filters=filters, sort=sort, page=None)))
        return Response(  # type: ignore[return-value]
            out.getvalue(), media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="manager-flags-{as_of}.csv"'},
        )
    return flag_rules.page(run, filters=filters, sort=sort, page=page)
