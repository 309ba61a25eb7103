"""Exact Decimal repayment schedules (annuity and differentiated)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, localcontext

import numpy.typing as npt

from .calendar import payment_dates
from .errors import LoanMathError
from .interest import WHOLE_MONTH_30_360, Factor, period_factor
from .model import DayCount, LoanTerms, Method, Payment, Schedule, make_payment
from .money import CENT, CTX, ZERO, as_decimal
from .psk import psk_from_periods, psk_of_monthly_flows

__all__ = [
    "MAX_AMOUNT",
    "MAX_ANNUAL_RATE",
    "MAX_TERM_MONTHS",
    "annuity_payment",
    "build_schedule",
    "validate_terms",
]

MAX_TERM_MONTHS = 600
MAX_ANNUAL_RATE = Decimal(1000)
MAX_AMOUNT = Decimal(10) ** 12

_ONE = Decimal(1)
_D1200 = Decimal(1200)


@dataclass(frozen=True, slots=True)
class _Terms:
    """Validated, normalised terms (enums coerced, Decimals checked)."""

    amount: Decimal
    annual_rate: Decimal
    term_months: int
    issue_date: date
    method: Method
    day_count: DayCount
    upfront_fee: Decimal
    monthly_fee: Decimal
    grace_months: int


def _money_field(value: object, name: str, *, positive: bool = False) -> Decimal:
    dec = as_decimal(value, name)
    if positive and dec <= 0:
        raise LoanMathError(f"{name} must be > 0 (got {dec})")
    if dec < 0:
        raise LoanMathError(f"{name} must be >= 0 (got {dec})")
    kopecks = dec.quantize(CENT, rounding=ROUND_HALF_UP, context=CTX)
    if kopecks != dec:  # is_money(), with the quantized value kept
        raise LoanMathError(f"{name} must be a whole number of kopecks (got {dec})")
    return kopecks


def validate_terms(terms: LoanTerms) -> _Terms:
    """Check every field of ``terms``; raise :class:`LoanMathError` with a clear message."""
    amount = _money_field(terms.amount, "amount", positive=True)
    if amount > MAX_AMOUNT:
        raise LoanMathError(f"amount must be <= {MAX_AMOUNT}")
    rate = as_decimal(terms.annual_rate, "annual_rate")
    if rate < 0:
        raise LoanMathError(f"annual_rate must be >= 0 (got {rate})")
    if rate > MAX_ANNUAL_RATE:
        raise LoanMathError(f"annual_rate must be <= {MAX_ANNUAL_RATE} % (got {rate})")
    n = terms.term_months
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_TERM_MONTHS:
        raise LoanMathError(f"term_months must be an integer in 1..{MAX_TERM_MONTHS} (got {n!r})")
    g = terms.grace_months
    if isinstance(g, bool) or not isinstance(g, int) or not 0 <= g < n:
        raise LoanMathError(f"grace_months must be an integer in 0..term_months-1 (got {g!r})")
    if isinstance(terms.issue_date, datetime) or not isinstance(terms.issue_date, date):
        raise LoanMathError("issue_date must be a datetime.date")
    try:
        method = Method(terms.method)
        day_count = DayCount(terms.day_count)
    except ValueError as exc:
        raise LoanMathError(str(exc)) from exc
    upfront = _money_field(terms.upfront_fee, "upfront_fee")
    if upfront >= amount:
        raise LoanMathError("upfront_fee must be less than the amount")
    monthly = _money_field(terms.monthly_fee, "monthly_fee")
    return _Terms(amount, rate, n, terms.issue_date, method, day_count, upfront, monthly, g)


def annuity_payment(amount: Decimal, annual_rate: Decimal, months: int) -> Decimal:
    """Annuity instalment (principal + interest, no fees), rounded to the kopeck.

    Parameters
    ----------
    amount : Decimal
        Principal to repay.
    annual_rate : Decimal
        Percent per year.
    months : int
        Number of instalments that repay principal.

    Returns
    -------
    Decimal
        ``A`` rounded half up to 0.01.

    Notes
    -----
    ``A = P * r / (1 - (1 + r) ** -m)`` with ``r = annual_rate / 1200``,
    evaluated as ``P * r * f / (f - 1)``, ``f = (1 + r) ** m`` in a 40-digit
    context; ``A = P / m`` at ``r = 0``. The batch path reproduces this value
    exactly (it falls back to this function on near-ties).
    """
    amount = as_decimal(amount, "amount")
    annual_rate = as_decimal(annual_rate, "annual_rate")
    if isinstance(months, bool) or not isinstance(months, int) or months < 1:
        raise LoanMathError(f"months must be a positive integer (got {months!r})")
    if amount < 0 or annual_rate < 0:
        raise LoanMathError("amount and annual_rate must be >= 0")
    if annual_rate == 0:
        return CTX.divide(amount, Decimal(months)).quantize(CENT, rounding=ROUND_HALF_UP, context=CTX)
    r = CTX.divide(annual_rate, _D1200)
    f = CTX.power(CTX.add(_ONE, r), months)
    raw = CTX.divide(CTX.multiply(CTX.multiply(amount, r), f), CTX.subtract(f, _ONE))
    return raw.quantize(CENT, rounding=ROUND_HALF_UP, context=CTX)


def amortize(
    *,
    balance: Decimal,
    annual_rate: Decimal,
    dates: Sequence[date],
    factors: Sequence[Factor],
    grace: int,
    instalment: Decimal | None,
    principal_step: Decimal | None,
    fee: Decimal,
    first_number: int = 1,
    stop_when_paid: bool = False,
) -> list[Payment]:
    """Run the balance down over ``dates``: the engine behind every schedule.

    Rows before ``grace`` pay interest only. An annuity row repays
    ``instalment - interest`` (never below 0 nor above the balance); a
    differentiated row repays ``principal_step``; the last row clears the
    balance, so principal sums exactly to the starting balance. Operators run
    under one ``localcontext(CTX)`` (cheaper than ``CTX.method`` calls).
    """
    rows: list[Payment] = []
    append = rows.append
    last = len(dates) - 1
    q = ROUND_HALF_UP
    cent = CENT
    with localcontext(CTX):
        # An annuity row that is not clamped pays exactly instalment + fee.
        annuity = instalment is not None
        inst = ZERO if instalment is None else instalment
        full = inst + fee
        for j, when in enumerate(dates):
            num, den = factors[j]
            if num is _ONE:
                interest = (balance * annual_rate / den).quantize(cent, q)
            else:
                interest = (balance * annual_rate * num / den).quantize(cent, q)
            if j < grace and j != last:
                principal = ZERO
                payment = interest + fee
            elif annuity and j != last and interest <= inst:
                principal = inst - interest
                payment = full
                if principal > balance:
                    principal = balance
                    payment = principal + interest + fee
            else:
                if j == last:
                    principal = balance
                elif principal_step is not None:
                    principal = principal_step if principal_step <= balance else balance
                else:  # annuity row whose interest exceeds the instalment (actual/365)
                    principal = ZERO
                payment = principal + interest + fee
            balance = balance - principal
            append(make_payment(first_number + j, when, principal, interest, fee, payment, balance))
            if stop_when_paid and not balance:
                break
    return rows


def schedule_factors(
    start: date, dates: Sequence[date], day_count: DayCount, *, first_whole: bool = True
) -> list[Factor]:
    """Per-row accrual factors: ``start -> dates[0]``, then date to date."""
    if day_count is DayCount.THIRTY_360 and first_whole:
        return [WHOLE_MONTH_30_360] * len(dates)
    factors: list[Factor] = []
    prev = start
    for j, when in enumerate(dates):
        factors.append(period_factor(prev, when, day_count, whole_month=first_whole or j > 0))
        prev = when
    return factors


def finish(
    rows: Sequence[Payment],
    regular_payment: Decimal | None,
    *,
    amount: Decimal,
    upfront_fee: Decimal,
    q: npt.ArrayLike | None,
    e: npt.ArrayLike | None,
    earlier: Sequence[Payment] = (),
    rate_hint: Decimal | None = None,
) -> Schedule:
    """Totals of ``rows`` and the PSK of the whole loan (issue, ``earlier`` rows, ``rows``).

    ``q``/``e`` are the PSK periods of every flow in that order (issue first),
    known to the caller (``None``: flow ``k`` falls exactly ``k`` months after issue);
    ``rate_hint`` (the nominal rate) starts the solver.
    """
    with localcontext(CTX):
        total_interest = sum([p.interest for p in rows], ZERO)
        total_payments = sum([p.payment for p in rows], ZERO)
        amounts = [upfront_fee - amount]
        amounts.extend([p.payment for p in earlier])
        amounts.extend([p.payment for p in rows])
        paid_before = sum(amounts[1 : len(earlier) + 1], ZERO)
        psk_amount = paid_before + total_payments + upfront_fee - amount
    start = None if rate_hint is None else float(rate_hint) / 1200.0
    return Schedule(
        regular_payment=regular_payment,
        payments=tuple(rows),
        total_interest=total_interest,
        total_payments=total_payments,
        psk_percent=(
            psk_of_monthly_flows(amounts, start=start)
            if q is None or e is None
            else psk_from_periods(amounts, q, e, start=start)
        ),
        psk_amount=psk_amount,
    )


def build_schedule(terms: LoanTerms) -> Schedule:
    """Full repayment schedule of a new loan, with totals and PSK.

    Parameters
    ----------
    terms : LoanTerms
        Validated here; invalid terms raise :class:`LoanMathError`.

    Returns
    -------
    Schedule
        ``term_months`` rows dated ``k`` months after issue (month-end clamped).

    Notes
    -----
    Interest of row ``k`` is ``B_{k-1} * R / 1200`` (30/360) or
    ``B_{k-1} * R / 100 * sum_y d_y / L_y`` (actual/365), rounded once.
    Annuity: the first ``g`` rows pay interest only, then
    ``A = P r / (1 - (1 + r)^-(n-g))`` with principal ``A - I_k``.
    Differentiated: principal ``round(P / (n - g))``. The last row clears the
    balance in both methods. ``payment = principal + interest + monthly_fee``.
    """
    t = validate_terms(terms)
    plan = plan_schedule(t)
    regular = None if plan.instalment is None else plan.instalment + t.monthly_fee
    return finish(
        plan.rows,
        regular,
        amount=t.amount,
        upfront_fee=t.upfront_fee,
        q=None,
        e=None,
        rate_hint=t.annual_rate,
    )


@dataclass(frozen=True, slots=True)
class Plan:
    """The rows of a validated loan plus what produced them (for early repayment)."""

    dates: list[date]
    rows: list[Payment]
    instalment: Decimal | None
    principal_step: Decimal | None


def plan_schedule(t: _Terms) -> Plan:
    """Rows of a validated loan; :func:`build_schedule` adds totals and PSK."""
    dates = payment_dates(t.issue_date, t.term_months)
    factors = schedule_factors(t.issue_date, dates, t.day_count)
    repaying = t.term_months - t.grace_months
    instalment: Decimal | None = None
    step: Decimal | None = None
    if t.method is Method.ANNUITY:
        instalment = annuity_payment(t.amount, t.annual_rate, repaying)
    else:
        step = CTX.divide(t.amount, Decimal(repaying)).quantize(CENT, rounding=ROUND_HALF_UP, context=CTX)
    rows = amortize(
        balance=t.amount,
        annual_rate=t.annual_rate,
        dates=dates,
        factors=factors,
        grace=t.grace_months,
        instalment=instalment,
        principal_step=step,
        fee=t.monthly_fee,
    )
    return Plan(dates, rows, instalment, step)
