"""The close of business's linear step, set-based in PostgreSQL.

``app.servicing.roll_forward`` moves a loan with no event in the step by a linear law;
for most of the book on most days that is all a close does. Here the same law runs as one
``UPDATE`` per chunk, in exact ``numeric`` arithmetic (the accrual units pass 64 bits), so
only loans with an event cross into Python. It covers steps of at most 30 days on
actual/365 (at most one bucket boundary is crossed, dated as ``crossings`` dates it);
anything else takes the Python path. ``tests/loans`` hold the stored state equal to a
fresh replay on PostgreSQL, where this path runs.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import text
from sqlmodel import Session

from app.servicing.accrual import DEN, actual_weight, daily_weight
from app.servicing.delinquency import FPD_DAYS, PROBLEM_DPD

MAX_STEP_DAYS = 30

_ELIGIBLE = """
    id BETWEEN :first AND :last AND status <> 'closed' AND state_date = :start AND issue_date <= :day
    AND (next_event_date IS NULL OR next_event_date > :day) AND day_count = 'actual/365'
"""
_DPD = "(CASE WHEN overdue_since_day IS NOT NULL AND overdue_since_day < :day_ord " \
       "THEN :day_ord - overdue_since_day ELSE 0 END)"
_BUCKET = (f"(CASE WHEN {_DPD} = 0 THEN 'current' WHEN {_DPD} <= 30 THEN '1-30' WHEN {_DPD} <= 60 THEN '31-60' "
           f"WHEN {_DPD} <= 90 THEN '61-90' ELSE '90+' END)")
_UPPER = "(CASE bucket WHEN 'current' THEN 1 WHEN '1-30' THEN 31 WHEN '31-60' THEN 61 ELSE 91 END)"

_TRANSITIONS = text(f"""
    INSERT INTO loan_bucket_transition (loan_id, "on", from_bucket, to_bucket)
    SELECT id, LEAST(GREATEST(oldest_unpaid_due + {_UPPER}, :start + 1), :day), bucket, {_BUCKET}
    FROM loan WHERE {_ELIGIBLE} AND bucket <> {_BUCKET}
""")  # noqa: S608 - constant SQL, values bound

_UNITS = "(accrual_units::numeric + interest_base::numeric * annual_rate * :w)"
_PENALTY = ("(penalty_units::numeric + CASE WHEN penalty_rate > 0 AND penalty_base > 0 THEN penalty_base::numeric"
            " * penalty_rate * (CASE penalty_basis WHEN 'annual' THEN :w ELSE :w_daily END) ELSE 0 END)")
_ROUND = "floor(({units} + :half) / :den)::bigint"

_UPDATE = text(f"""
    UPDATE loan SET
        state_date = :day,
        overdue_principal = overdue_principal + due_today_principal,
        overdue_interest = overdue_interest + due_today_interest,
        overdue_fee = overdue_fee + due_today_fee,
        due_today_principal = 0, due_today_interest = 0, due_today_fee = 0,
        days_past_due = {_DPD},
        bucket = {_BUCKET},
        status = CASE WHEN {_DPD} > :problem THEN 'problem' ELSE 'active' END,
        first_payment_default = fpd_applies AND :day >= first_due_date + :fpd_days
            AND (first_settled_on IS NULL OR first_settled_on > first_due_date + :fpd_days),
        next_due_date = upcoming_due_date,
        next_due_amount = upcoming_due_amount,
        accrual_units = {_UNITS}::text,
        accrued_interest = {_ROUND.format(units=_UNITS)} + carried_interest,
        penalty_units = {_PENALTY}::text,
        penalty_accrued = {_ROUND.format(units=_PENALTY)}
    WHERE {_ELIGIBLE}
""")  # noqa: S608 - constant SQL, values bound


def roll_forward_in_sql(session: Session, day: date, first_id: int, last_id: int) -> tuple[int, int]:
    """Step every event-free loan of the chunk to the end of ``day``: (loans, transitions)."""
    starts = session.execute(
        text("SELECT DISTINCT state_date FROM loan WHERE id BETWEEN :first AND :last AND status <> 'closed' "
             "AND state_date < :day AND state_date >= :earliest"),
        {"first": first_id, "last": last_id, "day": day, "earliest": day - timedelta(days=MAX_STEP_DAYS)},
    ).scalars().all()
    loans = transitions = 0
    for start in starts:
        params = {
            "first": first_id, "last": last_id, "start": start, "day": day, "day_ord": day.toordinal(),
            "w": actual_weight(start, day), "w_daily": daily_weight(start, day), "half": DEN // 2, "den": DEN,
            "problem": PROBLEM_DPD, "fpd_days": FPD_DAYS,
        }
        transitions += session.execute(_TRANSITIONS, params).rowcount  # type: ignore[attr-defined]
        loans += session.execute(_UPDATE, params).rowcount  # type: ignore[attr-defined]
    return loans, transitions
