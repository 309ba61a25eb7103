"""This bank's own open loans to one passport, from the loan book (read only)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from sqlalchemy import Connection, bindparam, select

from app.applications.table import ApplicationRow
from app.models.loan_book import LoanInstalmentRow, LoanRow
from app.pricing.pdn import own_loan_payment

_LOAN = LoanRow.__table__  # type: ignore[attr-defined]
_INSTALMENT = LoanInstalmentRow.__table__  # type: ignore[attr-defined]
_APPLICATION = ApplicationRow.__table__  # type: ignore[attr-defined]
_l, _i, _a = _LOAN.c, _INSTALMENT.c, _APPLICATION.c
# A loan not closed, through its application's passport; its contract's instalments still to come.
_FUTURE_INSTALMENTS = (
    select(_l.id, _i.principal, _i.interest, _i.fee)
    .select_from(
        _LOAN.join(_APPLICATION, _a.id == _l.application_id).join(
            _INSTALMENT, (_i.loan_id == _l.id) & (_i.revision == 0) & (_i.due_date > bindparam("on"))
        )
    )
    .where(_a.passport_number == bindparam("passport"), _l.status != "closed")
)


def monthly_payments(conn: Connection, passport: str, on: date) -> list[Decimal]:
    """The average monthly payment of each open loan of the passport, as of ``on``."""
    remaining: dict[int, list[Decimal]] = defaultdict(list)
    for loan_id, principal, interest, fee in conn.execute(_FUTURE_INSTALMENTS, {"passport": passport, "on": on}):
        remaining[loan_id].append(principal + interest + fee)
    return [own_loan_payment(v) for _, v in sorted(remaining.items())]
