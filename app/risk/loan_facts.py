"""Portfolio facts as of a date, aggregated in SQL so the database carries the portfolio's size.

Delinquency as of a date follows the bank's waterfall: receipts cover the schedule in
order, so the oldest instalment whose cumulative amount exceeds what was paid by that
date is the oldest unpaid one, and days past due count from its due date. One query
returns that per loan; numpy then groups per-loan arrays by manager.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import String, and_, cast, func, or_
from sqlalchemy import select as sql_select
from sqlmodel import Session, col, select

from app.loans.table import LoanInstalmentRow, LoanPaymentRow, LoanRow
from app.managers.table import ManagerPlanRow

BUCKETS = ("current", "1-30", "31-60", "61-90", "90+")
PROBLEM_DAYS = 90
# A loan can be 90+ days past due at the earliest ~4 months after issue (first due date,
# then 91 days); PD at issue is a 12-month probability. The expected count as of a date
# takes each loan's PD in proportion to how much of that window it has lived through.
SEASONING_START_DAYS = 120
PD_HORIZON_DAYS = 365


@dataclass(frozen=True, slots=True)
class LoanFacts:
    """Per-loan arrays, aligned: loans issued on or before ``as_of``."""

    loan_id: npt.NDArray[np.int64]
    manager: npt.NDArray[np.str_]
    amount_kop: npt.NDArray[np.int64]
    issue_month: npt.NDArray[np.str_]
    pd: npt.NDArray[np.float64]
    days_past_due: npt.NDArray[np.int64]
    closed: npt.NDArray[np.bool_]
    fpd: npt.NDArray[np.bool_]
    days_on_book: npt.NDArray[np.int64]
    fpd_observable: npt.NDArray[np.bool_]

    @property
    def seasoned_pd(self) -> npt.NDArray[np.float64]:
        """PD scaled by the share of its 12-month window the loan has lived through."""
        share = np.clip((self.days_on_book - SEASONING_START_DAYS) / PD_HORIZON_DAYS, 0.0, 1.0)
        return self.pd * share

    @property
    def problem(self) -> npt.NDArray[np.bool_]:
        return (self.days_past_due > PROBLEM_DAYS) & ~self.closed

    @property
    def bucket_index(self) -> npt.NDArray[np.int64]:
        d = self.days_past_due
        idx = np.select([d <= 0, d <= 30, d <= 60, d <= 90], [0, 1, 2, 3], default=4)
        return np.where(self.closed, 0, idx).astype(np.int64)


def loan_facts(session: Session, *, as_of: date, manager_id: str | None = None) -> LoanFacts:
    paid = (
        select(LoanPaymentRow.loan_id, func.sum(col(LoanPaymentRow.amount)).label("paid"))
        .where(col(LoanPaymentRow.paid_on) <= as_of)
        .group_by(col(LoanPaymentRow.loan_id))
        .subquery()
    )
    amount = col(LoanInstalmentRow.principal) + col(LoanInstalmentRow.interest) + col(LoanInstalmentRow.fee)
    cum = (
        sql_select(  # type: ignore[call-overload]
            LoanInstalmentRow.loan_id,
            LoanInstalmentRow.due_date,
            LoanInstalmentRow.number,
            func.sum(amount)
            .over(partition_by=col(LoanInstalmentRow.loan_id), order_by=col(LoanInstalmentRow.number))
            .label("cum_due"),
            amount.label("due"),
        )
        .where(LoanInstalmentRow.revision == 0)
        .subquery()
    )
    oldest_unpaid = (
        select(cum.c.loan_id, func.min(cum.c.due_date).label("first_unpaid"))
        .select_from(cum.outerjoin(paid, paid.c.loan_id == cum.c.loan_id))
        .where(cum.c.cum_due > func.coalesce(paid.c.paid, 0), cum.c.due_date < as_of)
        .group_by(cum.c.loan_id)
        .subquery()
    )
    first_due = select(cum.c.loan_id, cum.c.due.label("first_due")).where(cum.c.number == 1).subquery()
    paid_by_deadline = (
        select(LoanPaymentRow.loan_id, func.sum(col(LoanPaymentRow.amount)).label("paid_early"))
        .join(LoanRow, col(LoanRow.id) == col(LoanPaymentRow.loan_id))
        .where(col(LoanPaymentRow.paid_on) <= col(LoanRow.fpd_deadline), col(LoanPaymentRow.paid_on) <= as_of)
        .group_by(col(LoanPaymentRow.loan_id))
        .subquery()
    )
    fpd = and_(
        col(LoanRow.fpd_deadline) <= as_of,
        func.coalesce(paid_by_deadline.c.paid_early, 0) < first_due.c.first_due,
    )
    query = (
        sql_select(  # type: ignore[call-overload]
            LoanRow.id,
            LoanRow.manager_id,
            LoanRow.amount,
            LoanRow.issue_date,
            LoanRow.pd_at_issue,
            oldest_unpaid.c.first_unpaid,
            or_(and_(col(LoanRow.closed_on).is_not(None), col(LoanRow.closed_on) <= as_of)).label("closed"),
            fpd.label("fpd"),
            (col(LoanRow.fpd_deadline) <= as_of).label("fpd_observable"),
        )
        .outerjoin(oldest_unpaid, oldest_unpaid.c.loan_id == col(LoanRow.id))
        .outerjoin(first_due, first_due.c.loan_id == col(LoanRow.id))
        .outerjoin(paid_by_deadline, paid_by_deadline.c.loan_id == col(LoanRow.id))
        .where(col(LoanRow.issue_date) <= as_of)
        .order_by(col(LoanRow.id))
    )
    if manager_id is not None:
        query = query.where(LoanRow.manager_id == manager_id)
    rows = session.execute(query).all()
    n = len(rows)
    ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=n)
    first_unpaid = [r[5] for r in rows]
    ordinal = as_of.toordinal()
    dpd = np.fromiter(
        ((ordinal - _as_date(d).toordinal()) if d is not None else 0 for d in first_unpaid),
        dtype=np.int64,
        count=n,
    )
    return LoanFacts(
        loan_id=ids,
        manager=np.array([r[1] for r in rows], dtype=np.str_) if n else np.array([], dtype=np.str_),
        amount_kop=np.fromiter((int(r[2].scaleb(2)) for r in rows), dtype=np.int64, count=n),
        issue_month=np.array([_as_date(r[3]).strftime("%Y-%m") for r in rows], dtype=np.str_)
        if n
        else np.array([], dtype=np.str_),
        pd=np.fromiter((float(r[4]) for r in rows), dtype=np.float64, count=n),
        days_past_due=np.maximum(dpd, 0),
        closed=np.fromiter((bool(r[6]) for r in rows), dtype=np.bool_, count=n),
        fpd=np.fromiter((bool(r[7]) for r in rows), dtype=np.bool_, count=n),
        days_on_book=np.fromiter(
            (ordinal - _as_date(r[3]).toordinal() for r in rows), dtype=np.int64, count=n
        ),
        fpd_observable=np.fromiter((bool(r[8]) for r in rows), dtype=np.bool_, count=n),
    )


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def issued_by_period(
    session: Session, *, manager_id: str | None, up_to: date
) -> dict[tuple[str, str], Decimal]:
    """Volume issued per (manager, YYYY-MM), summed exactly in SQL."""
    period = func.substr(cast(LoanRow.issue_date, String()), 1, 7)
    query = (
        select(LoanRow.manager_id, period.label("period"), func.sum(col(LoanRow.amount)))
        .where(col(LoanRow.issue_date) <= up_to)
        .group_by(col(LoanRow.manager_id), period)
    )
    if manager_id is not None:
        query = query.where(LoanRow.manager_id == manager_id)
    return {(m, p): v for m, p, v in session.exec(query).all()}


def plans(session: Session, *, manager_id: str | None, up_to: str) -> list[ManagerPlanRow]:
    """Plans of months up to ``up_to`` (YYYY-MM): a later month's plan did not exist yet."""
    query = (
        select(ManagerPlanRow)
        .where(col(ManagerPlanRow.period) <= up_to)
        .order_by(col(ManagerPlanRow.manager_id), col(ManagerPlanRow.period))
    )
    if manager_id is not None:
        query = query.where(ManagerPlanRow.manager_id == manager_id)
    return list(session.exec(query).all())
