"""Partial and full early repayment of a loan paid per schedule so far."""

from __future__ import annotations

from bisect import bisect_right
from datetime import date, datetime
from decimal import Decimal

import numpy as np

from .amortisation import Rows, amortise, differentiated_step, rate_ratio, row_interest
from .calendar import payment_dates
from .errors import LoanMathError
from .interest import period_factor
from .model import EarlyRepaymentMode, LoanTerms, Method, Schedule, make_payment
from .money import ZERO, as_decimal, from_kopecks, is_money, kopecks
from .psk import periods_psk, psk_periods
from .schedule import (
    annuity_payment,
    payments,
    plan_schedule,
    schedule_factors,
    validate_terms,
)

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
    Accrued interest is :func:`~app.loanmath.interest.accrued_interest` from the last payment date to
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
    try:
        cash_d = as_decimal(amount, "amount")
    except LoanMathError as exc:
        raise LoanMathError(str(exc), field="amount") from exc
    if cash_d <= 0:
        raise LoanMathError(f"early repayment amount must be > 0 (got {cash_d})", field="amount")
    try:
        how = EarlyRepaymentMode(mode)
    except ValueError as exc:
        raise LoanMathError(f"unknown early repayment mode {mode!r}", field="mode") from exc
    if isinstance(on, datetime) or not isinstance(on, date):
        raise LoanMathError("on must be a datetime.date", field="on")
    plan = plan_schedule(t)
    dates = payment_dates(t.issue_date, t.term_months)
    if not t.issue_date < on < dates[-1]:
        raise LoanMathError(
            f"early repayment date must be after issue ({t.issue_date}) and before "
            f"the last payment ({dates[-1]}); got {on}",
            field="on",
        )
    rows = plan.rows
    k = bisect_right(dates, on)  # rows dated on or before ``on`` were paid per schedule
    amount_kop = kopecks(t.amount)
    balance = rows.balance[k - 1] if k else amount_kop
    since = dates[k - 1] if k else t.issue_date
    rate = rate_ratio(t.annual_rate)
    accrued = row_interest(balance, rate, period_factor(since, on, t.day_count, whole_month=False))
    if cash_d > from_kopecks(balance + accrued):
        raise LoanMathError(
            f"amount {cash_d} exceeds the balance plus accrued interest {from_kopecks(balance + accrued)}",
            field="amount",
        )
    if not is_money(cash_d):
        raise LoanMathError(f"early repayment amount must be a whole number of kopecks (got {cash_d})", field="amount")
    cash = kopecks(cash_d)
    if cash < accrued:
        raise LoanMathError(
            f"amount {cash_d} is less than the accrued interest {from_kopecks(accrued)}", field="amount"
        )
    new_balance = balance - (cash - accrued)
    early_row = make_payment(
        1, on, from_kopecks(cash - accrued), from_kopecks(accrued), ZERO, from_kopecks(cash), from_kopecks(new_balance)
    )
    q_on, e_on = psk_periods(t.issue_date, on)
    earlier = rows.payment[:k]

    rest_dates = dates[k:]
    instalment: int | None = None
    step: int | None = None
    rest = Rows([], [], [], [])
    if new_balance:
        # On a payment date (``since == on``) the next row runs payment date -> payment date:
        # a whole scheduled month (B*R/1200 on 30/360), as in the contract and in servicing.
        # Only a broken period (``on`` between payment dates) counts 30E/360 days, where the
        # month-end rule would make e.g. 28 Feb -> 28 Mar 28 days and 28 Jan -> 28 Feb 32 days.
        factors = schedule_factors(on, rest_dates, t.day_count, first_whole=since == on)
        grace = max(0, t.grace_months - k)
        reduce_term = how is EarlyRepaymentMode.REDUCE_TERM
        repaying = len(rest_dates) - grace
        if t.method is Method.ANNUITY:
            instalment = (
                plan.instalment
                if reduce_term
                else kopecks(annuity_payment(from_kopecks(new_balance), t.annual_rate, repaying))
            )
        else:
            step = plan.step if reduce_term else differentiated_step(new_balance, repaying)
        rest = amortise(
            new_balance,
            rate,
            factors,
            len(rest_dates),
            grace=grace,
            instalment=instalment,
            step=step,
            fee=kopecks(t.monthly_fee),
            stop_when_paid=reduce_term,
        )
    n_rest = len(rest.payment)
    upfront = kopecks(t.upfront_fee)
    flows = [upfront - amount_kop, *earlier, cash, *rest.payment]
    total_payments = cash + sum(rest.payment)
    psk_amount = sum(earlier) + total_payments + upfront - amount_kop
    q = np.array([0, *range(1, k + 1), q_on, *range(k + 1, k + 1 + n_rest)], dtype=np.float64)
    e = np.zeros(len(flows))
    e[k + 1] = e_on
    return Schedule(
        regular_payment=None if instalment is None else from_kopecks(instalment) + t.monthly_fee,
        payments=(early_row, *payments(rest, rest_dates, t.monthly_fee, first_number=2)),
        total_interest=from_kopecks(accrued + sum(rest.interest)),
        total_payments=from_kopecks(total_payments),
        psk_percent=periods_psk([f / 100 for f in flows], psk_amount / 100, q, e),
        psk_amount=from_kopecks(psk_amount),
    )
