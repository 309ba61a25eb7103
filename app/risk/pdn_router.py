"""``/v1/risk/pdn-shares``: a quarter's issued loans by PDN band (risk officers, admins).

Its own router beside the pricing rules: the rest of ``/v1/risk`` belongs to the risk
package; this one only reads the loan book and the applications' PDN.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select
from sqlmodel import Session

from app.applications.table import ApplicationRow
from app.core.errors import Unprocessable, problem_responses
from app.deps import ReadSession, RiskOfficer, ServiceRoute
from app.models.loan_book import LoanRow
from app.pricing.limits import quarter_bounds
from app.pricing.pdn_shares import IssuedLoan, shares
from schemas.pricing import PdnShares

router = APIRouter(prefix="/v1/risk", tags=["risk"], route_class=ServiceRoute)

_l = LoanRow.__table__.c  # type: ignore[attr-defined]
_a = ApplicationRow.__table__.c  # type: ignore[attr-defined]


def issued_in(session: Session, quarter: str) -> list[IssuedLoan]:
    start, end = quarter_bounds(quarter)
    rows = session.connection().execute(
        select(_l.product_code, _l.amount, _a.pdn)
        .select_from(LoanRow.__table__.join(ApplicationRow.__table__, _a.id == _l.application_id))  # type: ignore[attr-defined]
        .where(_l.issue_date >= start, _l.issue_date <= end, _a.pdn.is_not(None))
    )
    return [IssuedLoan(code, amount, pdn) for code, amount, pdn in rows]


@router.get(
    "/pdn-shares",
    summary="A quarter's issued loans by PDN band, against the macroprudential limits",
    responses=problem_responses(401, 403, 422, 429, 503),
)
def pdn_shares(
    principal: RiskOfficer,
    session: ReadSession,
    quarter: Annotated[str, Query(pattern=r"^\d{4}Q[1-4]$", examples=["2027Q1"])],
) -> PdnShares:
    try:
        quarter_bounds(quarter)
    except ValueError as exc:  # the pattern admits only real quarters; kept for direct calls
        raise Unprocessable(str(exc), errors=[{"parameter": "quarter", "detail": str(exc)}]) from None
    return PdnShares.model_validate(shares(quarter, issued_in(session, quarter)))
