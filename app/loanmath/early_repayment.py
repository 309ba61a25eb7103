"""Partial and full early repayment of a loan paid per schedule so far."""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

import numpy as np

from .errors import LoanMathError
from .interest import accrued_interest
from .model import EarlyRepaymentMode, LoanTerms, Method, Schedule, make_payment
from .money import CENT, CTX, ZERO, as_decimal, is_money
from .psk import psk_periods
from .schedule import amortize, annuity_payment, finish, plan_schedule, schedule_factors, validate_terms

__all__ = ["early_repayment"]


def early_repayment(
    terms: LoanTerms,
    *,
    on: date,
    amount: Decimal,
    mode: EarlyRepaymentMode | str,
) -> Schedule:
    """New schedule after an early repayment of ``amount`` on ``on``.

    Parameters
    ----------
    terms : LoanTerms
        The loan's original terms; it is assumed paid per schedule up to ``on``
        (every scheduled payment dated on or before ``on`` has been made).
    on : date
        Date of the early payment, after issue and before the last scheduled date.
    amount : Decimal
        Cash paid on ``on``. It first pays the interest accrued since the last
        payment (or issue); the rest repays principal.
    mode : EarlyRepaymentMode
        ``reduce_term`` keeps the instalment (differentiated: the principal
        step) and drops the rows no longer needed; ``reduce_payment`` keeps the
        remaining dates and recomputes the instalment (step) on the new balance.

    Returns
    -------
    Schedule
        Row 1 is the early payment itself (dated ``on``, no monthly fee), then
        the remaining rows numbered 2, 3, ... . ``total_interest`` and
        ``total_payments`` cover these rows only; ``psk_percent`` and
        ``psk_amount`` cover the whole life of the loan (issue, the payments
        already made, these rows). Paying ``balance + accrued`` closes the loan
        in one row.

    Notes
    -----
    Accrued interest is :func:`accrued_interest` from the last payment date to
    ``on``: actual days / 365|366 for actual/365, 30E/360 days / 360 for
    30/360. The next row then accrues from ``on`` on the new balance (same
    day count), so the interest of the broken period is split, not doubled.

    Raises
    ------
    LoanMathError
        ``amount`` below the accrued interest or above balance + interest, or
        ``on`` outside (issue date, last payment date).
    """
    t = validate_terms(terms)
    cash = as_decimal(amount, "amount")
    if cash <= 0 or not is_money(cash):
        raise LoanMathError(f"early repayment amount must be a positive kopeck amount (got {cash})")
    cash = cash.quantize(CENT, rounding=ROUND_HALF_UP, context=CTX)
    try:
        how = EarlyRepaymentMode(mode)
    except ValueError as exc:
        raise LoanMathError(f"unknown early repayment mode {mode!r}") from exc
    if isinstance(on, datetime) or not isinstance(on, date):
        raise LoanMathError("on must be a datetime.date")
    plan = plan_schedule(t)
    if not t.issue_date < on < plan.dates[-1]:
        raise LoanMathError(
            f"early repayment date must be after issue ({t.issue_date}) and before "
            f"the last payment ({plan.dates[-1]}); got {on}"
        )
    paid = [row for row in plan.rows if row.date <= on]
    k = len(paid)
    balance = paid[-1].balance if paid else t.amount
    since = paid[-1].date if paid else t.issue_date
    accrued = accrued_interest(balance, t.annual_rate, since, on, t.day_count)
    due = balance + accrued
    if cash < accrued:
        raise LoanMathError(f"amount {cash} is less than the accrued interest {accrued}")
    if cash > due:
        raise LoanMathError(f"amount {cash} exceeds the balance plus accrued interest {due}")
    new_balance = balance - (cash - accrued)
    early_row = make_payment(1, on, cash - accrued, accrued, ZERO, cash, new_balance)
    q_on, e_on = psk_periods(t.issue_date, on)
    earlier_q = list(range(1, k + 1))

    if not new_balance:
        return finish(
            [early_row],
            None,
            amount=t.amount,
            upfront_fee=t.upfront_fee,
            q=np.array([0, *earlier_q, q_on], dtype=np.float64),
            e=np.array([0.0] * (k + 1) + [e_on]),
            earlier=paid,
        )

    dates = plan.dates[k:]
    # On a payment date (``since == on``) the next row runs payment date -> payment date: a
    # whole scheduled month (B*R/1200 on 30/360), as in the contract and in servicing. Only
    # a broken period (``on`` between payment dates) counts 30E/360 days, where the month-end
    # rule would make e.g. 28 Feb -> 28 Mar 28 days and 28 Jan -> 28 Feb 32 days.
    factors = schedule_factors(on, dates, t.day_count, first_whole=since == on)
    grace = max(0, t.grace_months - k)
    instalment: Decimal | None = None
    step: Decimal | None = None
    reduce_term = how is EarlyRepaymentMode.REDUCE_TERM
    if t.method is Method.ANNUITY:
        instalment = (
            plan.instalment
            if reduce_term
            else annuity_payment(new_balance, t.annual_rate, len(dates) - grace)
        )
    else:
        step = (
            plan.principal_step
            if reduce_term
            else CTX.divide(new_balance, Decimal(len(dates) - grace)).quantize(
                CENT, rounding=ROUND_HALF_UP, context=CTX
            )
        )
    rest = amortize(
        balance=new_balance,
        annual_rate=t.annual_rate,
        dates=dates,
        factors=factors,
        grace=grace,
        instalment=instalment,
        principal_step=step,
        fee=t.monthly_fee,
        first_number=2,
        stop_when_paid=reduce_term,
    )
    rows = [early_row, *rest]
    q = [0, *earlier_q, q_on, *range(k + 1, k + 1 + len(rest))]
    e = [0.0] * (k + 1) + [e_on] + [0.0] * len(rest)
    regular = None if instalment is None else instalment + t.monthly_fee
    return finish(
        rows,
        regular,
        amount=t.amount,
        upfront_fee=t.upfront_fee,
        q=np.array(q, dtype=np.float64),
        e=np.array(e, dtype=np.float64),
        earlier=paid,
    )
