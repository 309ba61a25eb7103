"""The close of business's linear step, set-based in PostgreSQL.

``app.servicing.roll_forward`` moves a loan with no event in the step by a linear law;
for most of the book on most days that is all a close does. Here the same law runs as one
``UPDATE`` per chunk, in exact ``numeric`` arithmetic (the accrual units pass 64 bits), with
the delinquency rule's SQL form (``app.models.book_rule_sql``), so only loans with an event
cross into Python. It covers steps of at most 30 days on actual/365 (at most one bucket
boundary is crossed, dated as ``crossings`` dates it); anything else takes the Python path.
``tests/loans`` hold the stored state equal to a fresh replay on PostgreSQL, where this runs.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import Numeric, String, and_, case, cast, func, insert, literal, or_, select, update
from sqlmodel import Session

from app.models.book_rule_sql import LOAN, bucket_of, days_past_due_on, status_of
from app.models.loan_book import BucketTransitionRow
from app.servicing.accrual import DEN, actual_weight, daily_weight
from app.servicing.delinquency import BUCKET_UPPER_DPD, BUCKETS, FPD_DAYS

MAX_STEP_DAYS = 30
TRANSITION = BucketTransitionRow.__table__  # type: ignore[attr-defined]


def _eligible(first_id: int, last_id: int, start: date, day: date) -> Any:
    c = LOAN.c
    return and_(
        c.id.between(first_id, last_id), c.status != "closed", c.state_date == start, c.issue_date <= day,
        or_(c.next_event_date.is_(None), c.next_event_date > day), c.day_count == "actual/365",
    )


def _units(stored: Any, base: Any, rate: Any, weight: Any) -> Any:
    return cast(stored, Numeric) + cast(base, Numeric) * cast(rate, Numeric) * weight


def _kopecks(units: Any) -> Any:
    """``accrual.to_kopecks``: half up, once."""
    return cast(func.floor((units + DEN // 2) / DEN), Numeric(38, 0))


def roll_forward_in_sql(session: Session, day: date, first_id: int, last_id: int) -> tuple[int, int]:
    """Step every event-free loan of the chunk to the end of ``day``: (loans, transitions)."""
    c = LOAN.c
    starts = session.execute(
        select(c.state_date).distinct().where(
            c.id.between(first_id, last_id), c.status != "closed", c.state_date < day,
            c.state_date >= day - timedelta(days=MAX_STEP_DAYS),
        )
    ).scalars().all()
    dpd = days_past_due_on(day)
    bucket = bucket_of(dpd)
    loans = transitions = 0
    for start in starts:
        where = _eligible(first_id, last_id, start, day)
        # the day the one boundary was crossed: oldest unpaid due + the old bucket's bound + 1
        upper = case(*[(c.bucket == b, u + 1) for b, u in zip(BUCKETS, BUCKET_UPPER_DPD, strict=True) if u is not None])
        crossed = func.least(func.greatest(c.oldest_unpaid_due + upper, literal(start) + 1), literal(day))
        added = session.execute(
            insert(TRANSITION).from_select(
                ["loan_id", "on", "from_bucket", "to_bucket"],
                select(c.id, crossed, c.bucket, bucket).where(where, c.bucket != bucket),
            ).returning(TRANSITION.c.id)
        )
        transitions += len(added.all())
        w, w_daily = actual_weight(start, day), daily_weight(start, day)
        interest = _units(c.accrual_units, c.interest_base, c.annual_rate, w)
        penalty_weight = case((c.penalty_basis == "annual", w), else_=w_daily)
        penalty = cast(c.penalty_units, Numeric) + case(
            (and_(c.penalty_rate > 0, c.penalty_base > 0),
             cast(c.penalty_base, Numeric) * cast(c.penalty_rate, Numeric) * penalty_weight),
            else_=0,
        )
        fpd_day = c.first_due_date + FPD_DAYS
        loans += session.execute(
            update(LOAN).where(where).values(
                state_date=day,
                overdue_principal=c.overdue_principal + c.due_today_principal,
                overdue_interest=c.overdue_interest + c.due_today_interest,
                overdue_fee=c.overdue_fee + c.due_today_fee,
                due_today_principal=0, due_today_interest=0, due_today_fee=0,
                days_past_due=dpd,
                bucket=bucket,
                status=status_of(dpd),
                first_payment_default=and_(
                    c.fpd_applies, literal(day) >= fpd_day,
                    or_(c.first_settled_on.is_(None), c.first_settled_on > fpd_day),
                ),
                next_due_date=c.upcoming_due_date,
                next_due_amount=c.upcoming_due_amount,
                accrual_units=cast(interest, String),
                accrued_interest=_kopecks(interest) + c.carried_interest,
                penalty_units=cast(penalty, String),
                penalty_accrued=_kopecks(penalty),
            ).execution_options(synchronize_session=False)
        ).rowcount  # type: ignore[attr-defined]
    return loans, transitions
