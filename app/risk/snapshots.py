"""A manager's history from the month-end snapshots: vintages, buckets, roll rates, plans.

The close of business writes every loan at each month end (``loan_month_end``); these are
the only reads of the past that never replay a loan. Each figure is one GROUP BY over the
snapshot rows of one manager at a bounded list of month ends (the as-of picker's), so its
cost grows with that manager's loans, not with the book.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from itertools import pairwise

from sqlalchemy import and_, case, exists, func, literal, or_, union_all
from sqlmodel import Session, col, select

from app.loans.close_of_business import closed_through
from app.loans.table import LoanRow, MonthEndRow
from app.risk.loan_facts import issued_by_period, plans
from app.servicing.delinquency import BUCKETS

#: Where a loan can be at the next month end: a bucket, or repaid and closed.
STATES = (*BUCKETS, "closed")
PICKER_MONTHS = 24


def _previous_month_end(d: date) -> date:
    return d.replace(day=1) - timedelta(days=1)


def _month_end_of(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def month_ends(session: Session, *, up_to: date | None = None, limit: int = PICKER_MONTHS) -> list[date]:
    """Closed month ends with a snapshot, newest first: one statement of ``limit`` index probes
    (``EXISTS`` on the snapshot's primary key), never a scan of the snapshot table."""
    last = closed_through(session)
    if last is None:
        return []
    if up_to is not None:
        last = min(last, up_to)
    d = last if last == _month_end_of(last.year, last.month) else _previous_month_end(last)
    candidates = []
    for _ in range(limit):
        candidates.append(d)
        d = _previous_month_end(d)
    probes = [
        select(literal(c.isoformat()).label("d")).where(exists().where(col(MonthEndRow.month_end) == c))
        for c in candidates
    ]
    found = {date.fromisoformat(str(v)[:10]) for v in session.execute(union_all(*probes)).scalars()}
    return [c for c in candidates if c in found]


@dataclass(frozen=True, slots=True)
class VintagePoint:
    issue_month: str
    months_on_book: int
    loans: int
    problem: int

    @property
    def share(self) -> float:
        return self.problem / self.loans if self.loans else 0.0


def _months_between(issue_month: str, end: date) -> int:
    y, m = int(issue_month[:4]), int(issue_month[5:7])
    return (end.year - y) * 12 + (end.month - m)


def vintages(session: Session, manager_id: str, ends: list[date]) -> list[VintagePoint]:
    """Problem share (90+ and open) of each issue month at each month end, by months on book."""
    if not ends:
        return []
    s = MonthEndRow
    problem = func.sum(case((and_(col(s.bucket) == BUCKETS[-1], col(s.status) != "closed"), 1), else_=0))
    query = (
        select(col(s.issue_month), col(s.month_end), func.count(), problem)
        .where(s.manager_id == manager_id, col(s.month_end).in_(ends))
        .group_by(col(s.issue_month), col(s.month_end))
    )
    out = [
        VintagePoint(str(m), _months_between(str(m), _day(e)), int(n), int(p or 0))
        for m, e, n, p in session.exec(query).all()
    ]
    return sorted(out, key=lambda v: (v.issue_month, v.months_on_book))


def _day(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def bucket_history(session: Session, manager_id: str, ends: list[date]) -> dict[date, dict[str, int]]:
    """Open loans by bucket at each month end (the last twelve of ``ends``)."""
    s = MonthEndRow
    query = (
        select(col(s.month_end), col(s.bucket), func.count())
        .where(s.manager_id == manager_id, col(s.month_end).in_(ends[:12]), col(s.status) != "closed")
        .group_by(col(s.month_end), col(s.bucket))
    )
    out: dict[date, dict[str, int]] = {e: dict.fromkeys(BUCKETS, 0) for e in sorted(ends[:12])}
    for e, b, n in session.exec(query).all():
        out[_day(e)][str(b)] = int(n)
    return out


@dataclass(frozen=True, slots=True)
class RollRates:
    """Loans moving from a bucket at one month end to a state at the next, over the months."""

    counts: dict[str, dict[str, int]]
    months: int

    def share(self, frm: str, to: str) -> float | None:
        row = self.counts.get(frm, {})
        total = sum(row.values())
        return row.get(to, 0) / total if total else None

    def total(self, frm: str) -> int:
        return sum(self.counts.get(frm, {}).values())


def roll_rates(session: Session, manager_id: str, ends: list[date]) -> RollRates:
    """The roll-rate matrix month to month from consecutive snapshots (the last twelve moves)."""
    chosen = sorted(ends[:13])
    pairs = [(a, b) for a, b in pairwise(chosen) if _previous_month_end(b) == a]
    counts: dict[str, dict[str, int]] = {str(b): dict.fromkeys(STATES, 0) for b in BUCKETS}
    if not pairs:
        return RollRates(counts, 0)
    a, b = MonthEndRow.__table__.alias("a"), MonthEndRow.__table__.alias("b")  # type: ignore[attr-defined]
    query = (
        select(a.c.bucket, b.c.bucket, b.c.status, func.count())
        .select_from(a.join(b, a.c.loan_id == b.c.loan_id))
        .where(
            a.c.manager_id == manager_id,
            a.c.status != "closed",
            or_(*[and_(a.c.month_end == p, b.c.month_end == n) for p, n in pairs]),
        )
        .group_by(a.c.bucket, b.c.bucket, b.c.status)
    )
    for frm, to, status, n in session.execute(query).all():
        counts[str(frm)]["closed" if status == "closed" else str(to)] += int(n)
    return RollRates(counts, len(pairs))


@dataclass(frozen=True, slots=True)
class PlanMonth:
    period: str
    plan: Decimal | None
    issued: Decimal

    @property
    def fulfilment(self) -> float | None:
        return float(self.issued / self.plan) if self.plan else None


def plan_against_issued(session: Session, manager_id: str, as_of: date) -> list[PlanMonth]:
    """Each month with a plan or an issued loan, up to ``as_of``."""
    issued = {p: v for (_, p), v in issued_by_period(session, manager_id=manager_id, up_to=as_of).items()}
    planned = {p.period: p.volume for p in plans(session, manager_id=manager_id, up_to=as_of.strftime("%Y-%m"))}
    return [PlanMonth(p, planned.get(p), issued.get(p, Decimal("0.00"))) for p in sorted(set(issued) | set(planned))]


def loans_count(session: Session, manager_id: str, as_of: date) -> int:
    query = select(func.count()).select_from(LoanRow).where(LoanRow.manager_id == manager_id,
                                                             col(LoanRow.issue_date) <= as_of)
    return int(session.exec(query).one())
