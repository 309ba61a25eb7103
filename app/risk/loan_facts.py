"""Portfolio facts as of a date, aggregated in SQL from the loan book the servicing engine keeps.

Nothing here re-derives delinquency from instalments and payments: every figure is the one
engine's (``app.servicing``), read where the book keeps it:

* **the business date**: the loan rows' stored state. A loan the close of business has not
  yet brought to the date (``state_date`` before it) moves by the engine's linear law
  (``app.servicing.book.roll_forward``: days past due grow by one a day from the oldest
  unpaid due date, stored as ``overdue_since_day`` for this purpose), written in SQL; a
  loan with an event in that gap (``next_event_date`` before the date, or on it when it is
  more than an instalment falling due) is replayed. After ``loans close-day`` for the day
  before, almost nothing is.
* **a closed month end**: the ``loan_month_end`` snapshot.
* **any other past date**: every loan issued by then is replayed (the slow path; its cost
  grows with the book, see docs/dashboard.md).

One GROUP BY returns cells of (manager, PD at issue, issue date, bucket, closed, first-payment
default, FPD observable) with their loan count and issued volume; numpy groups the cells
per manager, per vintage or per bucket. Grouping by the PD value keeps the Poisson-binomial
tail exact (``scoring.flag_managers_grouped``); grouping by the issue date keeps each loan's
seasoning exact.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import String, and_, case, cast, exists, func, or_
from sqlmodel import Session, col, select

from app.loans.close_of_business import closed_through, month_end
from app.loans.history import load, up_to
from app.loans.table import EarlyRepaymentRow, LoanRow, MonthEndRow, PaymentHolidayRow
from app.managers.table import ManagerPlanRow
from app.models.book_rule_sql import bucket_index_of, days_past_due_on
from app.servicing import replay
from app.servicing.delinquency import BUCKET_UPPER_DPD, BUCKETS, PROBLEM_DPD

# "Problem" (more than PROBLEM_DPD days past due) is exactly the last bucket: the cells
# carry the bucket, so the rule must say so or the counts would silently disagree.
assert BUCKET_UPPER_DPD[-2] == PROBLEM_DPD and BUCKET_UPPER_DPD[-1] is None
PROBLEM_BUCKET = len(BUCKETS) - 1
# A loan can be 90+ days past due at the earliest ~4 months after issue (first due date,
# then 91 days); PD at issue is a 12-month probability. The expected count as of a date
# takes each loan's PD in proportion to how much of that window it has lived through.
SEASONING_START_DAYS = 120
PD_HORIZON_DAYS = 365
REPLAY_CHUNK = 500

Source = str  # "stored", "snapshot" or "replay"


@dataclass(frozen=True, slots=True)
class Cells:
    """Aligned arrays, one entry per (manager, pd, issue date, bucket, closed, fpd, fpd observable)."""

    as_of: date
    source: Source
    replayed: int
    manager: npt.NDArray[np.str_]
    pd: npt.NDArray[np.float64]
    issue_day: npt.NDArray[np.int64]
    bucket: npt.NDArray[np.int64]
    closed: npt.NDArray[np.bool_]
    fpd: npt.NDArray[np.bool_]
    fpd_observable: npt.NDArray[np.bool_]
    n: npt.NDArray[np.int64]
    amount_kop: npt.NDArray[np.int64]

    @property
    def problem(self) -> npt.NDArray[np.bool_]:
        out: npt.NDArray[np.bool_] = (self.bucket == PROBLEM_BUCKET) & ~self.closed
        return out

    @property
    def share_lived(self) -> npt.NDArray[np.float64]:
        """Share of the 12-month PD window each cell's loans have lived through."""
        days = self.as_of.toordinal() - self.issue_day
        return np.clip((days - SEASONING_START_DAYS) / PD_HORIZON_DAYS, 0.0, 1.0)

    @property
    def seasoned_pd(self) -> npt.NDArray[np.float64]:
        return self.pd * self.share_lived

    @property
    def issue_month(self) -> npt.NDArray[np.str_]:
        return np.array([date.fromordinal(int(d)).strftime("%Y-%m") for d in self.issue_day], dtype=np.str_)

    @property
    def size(self) -> int:
        return int(self.n.size)


def _kop(value: Any) -> int:
    return int(Decimal(value or 0).scaleb(2))


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _cells(as_of: date, source: Source, replayed: int, rows: list[tuple[Any, ...]]) -> Cells:
    """Cells from rows of (manager, pd, issue date, bucket index, closed, fpd, observable, n, volume)."""
    merged: Counter[tuple[Any, ...]] = Counter()
    volume: Counter[tuple[Any, ...]] = Counter()
    for m, pd, issued, b, closed, fpd, seen, n, amount in rows:
        key = (str(m), float(pd), _as_date(issued).toordinal(), int(b), bool(closed), bool(fpd), bool(seen))
        merged[key] += int(n)
        volume[key] += _kop(amount)
    keys = sorted(merged)
    k = len(keys)

    def column(i: int, dtype: Any) -> Any:
        return np.array([key[i] for key in keys], dtype=dtype) if k else np.array([], dtype=dtype)

    return Cells(
        as_of=as_of,
        source=source,
        replayed=replayed,
        manager=column(0, np.str_),
        pd=column(1, np.float64),
        issue_day=column(2, np.int64),
        bucket=column(3, np.int64),
        closed=column(4, np.bool_),
        fpd=column(5, np.bool_),
        fpd_observable=column(6, np.bool_),
        n=np.array([merged[key] for key in keys], dtype=np.int64),
        amount_kop=np.array([volume[key] for key in keys], dtype=np.int64),
    )


def _bucket_index(bucket: Any) -> Any:
    return case(*[(bucket == b, i) for i, b in enumerate(BUCKETS)], else_=0)


def _stored(session: Session, as_of: date, manager_id: str | None) -> tuple[list[tuple[Any, ...]], list[LoanRow]]:
    """Cells of the stored state (rolled forward in SQL where the close has not run yet), and
    the loans with an event in that gap, which only a replay can bring to ``as_of``."""
    stale = and_(col(LoanRow.status) != "closed", col(LoanRow.state_date) < as_of)
    # An event before as_of changes the state (an instalment fell due and is unpaid, an
    # early repayment ran): replay. An event ON as_of that is only an instalment falling due
    # makes it due today, not overdue, so days past due, bucket, status and FPD at the end of
    # as_of follow the law; early repayments executing that day and holiday boundaries are
    # replayed. After a nightly close (state one day old) this leaves almost nothing to replay.
    next_event = col(LoanRow.next_event_date)
    special = or_(
        exists().where(col(EarlyRepaymentRow.loan_id) == col(LoanRow.id), col(EarlyRepaymentRow.on) == as_of),
        exists().where(col(PaymentHolidayRow.loan_id) == col(LoanRow.id)),
    )
    event = and_(next_event.is_not(None), or_(next_event < as_of, and_(next_event == as_of, special)))
    bucket = case((stale, bucket_index_of(days_past_due_on(as_of))), else_=_bucket_index(col(LoanRow.bucket)))
    # roll_forward's law: a first instalment still unsettled at its deadline is a default
    fpd = case(
        (
            stale,
            or_(
                col(LoanRow.first_payment_default),
                and_(col(LoanRow.fpd_applies), col(LoanRow.first_settled_on).is_(None),
                     col(LoanRow.fpd_deadline) <= as_of),
            ),
        ),
        else_=col(LoanRow.first_payment_default),
    )
    closed = col(LoanRow.status) == "closed"
    observable = col(LoanRow.fpd_deadline) <= as_of
    keys = (col(LoanRow.manager_id), col(LoanRow.pd_at_issue), col(LoanRow.issue_date), bucket, closed, fpd,
            observable)
    query = (
        select(*keys, func.count(), func.sum(col(LoanRow.amount)))  # type: ignore[call-overload]
        .where(col(LoanRow.issue_date) <= as_of, ~and_(stale, event))
        .group_by(*keys)
    )
    gap = select(LoanRow).where(col(LoanRow.issue_date) <= as_of, stale, event)
    if manager_id is not None:
        query = query.where(LoanRow.manager_id == manager_id)
        gap = gap.where(LoanRow.manager_id == manager_id)
    return [tuple(r) for r in session.exec(query).all()], list(session.exec(gap.order_by(col(LoanRow.id))).all())


def _snapshot(session: Session, as_of: date, manager_id: str | None) -> list[tuple[Any, ...]]:
    s = MonthEndRow
    keys = (
        col(s.manager_id),
        col(s.pd_at_issue),
        col(LoanRow.issue_date),
        _bucket_index(col(s.bucket)),
        col(s.status) == "closed",
        col(s.first_payment_default),
        col(s.fpd_observable),
    )
    query = (
        select(*keys, func.count(), func.sum(col(LoanRow.amount)))  # type: ignore[call-overload]
        .join(LoanRow, col(LoanRow.id) == col(s.loan_id))
        .where(s.month_end == as_of)
        .group_by(*keys)
    )
    if manager_id is not None:
        query = query.where(s.manager_id == manager_id)
    return [tuple(r) for r in session.exec(query).all()]


def replayed_rows(session: Session, loans: list[LoanRow], as_of: date) -> list[tuple[Any, ...]]:
    """Cell rows of loans replayed to the end of ``as_of`` (four queries per chunk)."""
    out: list[tuple[Any, ...]] = []
    for i in range(0, len(loans), REPLAY_CHUNK):
        chunk = loans[i : i + REPLAY_CHUNK]
        by_id = {loan.id: loan for loan in chunk}
        for loan_id, (terms, schedule, history) in load(session, chunk).items():
            loan = by_id[loan_id]
            s = replay(terms, schedule, up_to(history, as_of), as_of=as_of)
            out.append((
                loan.manager_id, loan.pd_at_issue, loan.issue_date, BUCKETS.index(s.bucket),
                s.status == "closed", s.first_payment_default, loan.fpd_deadline <= as_of, 1, loan.amount,
            ))
    return out


def has_snapshot(session: Session, as_of: date) -> bool:
    if not month_end(as_of):
        return False
    last = closed_through(session)
    if last is None or last < as_of:
        return False
    return session.exec(select(MonthEndRow.loan_id).where(MonthEndRow.month_end == as_of).limit(1)).first() is not None


def source_for(session: Session, as_of: date, business_date: date) -> Source:
    if as_of >= business_date:
        return "stored"
    return "snapshot" if has_snapshot(session, as_of) else "replay"


def loan_cells(session: Session, *, as_of: date, business_date: date, manager_id: str | None = None) -> Cells:
    """The book's cells as of a date, from the cheapest source that answers it exactly."""
    source = source_for(session, as_of, business_date)
    if source == "stored":
        rows, gap = _stored(session, as_of, manager_id)
        return _cells(as_of, source, len(gap), rows + replayed_rows(session, gap, as_of))
    if source == "snapshot":
        return _cells(as_of, source, 0, _snapshot(session, as_of, manager_id))
    query = select(LoanRow).where(col(LoanRow.issue_date) <= as_of)
    if manager_id is not None:
        query = query.where(LoanRow.manager_id == manager_id)
    loans = list(session.exec(query.order_by(col(LoanRow.id))).all())
    return _cells(as_of, source, len(loans), replayed_rows(session, loans, as_of))


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
