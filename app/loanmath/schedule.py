"""A new loan's repayment schedule (annuity and differentiated), in kopecks and in ``Decimal``.

One plan per loan (:func:`plan_schedule`, on :func:`~app.loanmath.amortisation.amortise`)
gives both views: :func:`kopeck_schedule` (columns of integer kopecks, what a quote writes
to JSON) and :func:`build_schedule` (``Payment`` rows of two-place ``Decimal``, the
library's reference view). Both carry the same PSK, solved once from the same flows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, localcontext
from functools import lru_cache

from .amortisation import Factor, Rows, amortise, differentiated_step, rate_ratio
from .calendar import last_month_in_range, payment_dates
from .errors import LoanMathError
from .interest import period_factor
from .model import DayCount, KopeckSchedule, LoanTerms, Method, Payment, Schedule, make_payment
from .money import CENT, CTX, MAX_MONEY, as_decimal, from_kopecks, kopecks, money_arg
from .psk import monthly_flows_psk

__all__ = [
    "MAX_AMOUNT",
    "MAX_ANNUAL_RATE",
    "MAX_TERM_MONTHS",
    "annuity_payment",
    "build_schedule",
    "kopeck_schedule",
    "validate_terms",
]

MAX_TERM_MONTHS = 600
MAX_ANNUAL_RATE = Decimal(1000)
MAX_AMOUNT = MAX_MONEY

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
    return money_arg(value, name, positive=positive, field=f"terms.{name}")


def validate_terms(terms: LoanTerms) -> _Terms:
    """Check every field of ``terms``; raise :class:`LoanMathError` with a clear message.

    The error's ``field`` names the attribute at fault (``"terms.issue_date"``).
    """
    amount = _money_field(terms.amount, "amount", positive=True)
    try:
        rate = as_decimal(terms.annual_rate, "annual_rate")
    except LoanMathError as exc:
        raise LoanMathError(str(exc), field="terms.annual_rate") from exc
    if not 0 <= rate <= MAX_ANNUAL_RATE:
        raise LoanMathError(f"annual_rate must be in 0..{MAX_ANNUAL_RATE} % (got {rate})", field="terms.annual_rate")
    n = terms.term_months
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_TERM_MONTHS:
        raise LoanMathError(
            f"term_months must be an integer in 1..{MAX_TERM_MONTHS} (got {n!r})", field="terms.term_months"
        )
    g = terms.grace_months
    if isinstance(g, bool) or not isinstance(g, int) or not 0 <= g < n:
        raise LoanMathError(
            f"grace_months must be an integer in 0..term_months-1 (got {g!r})", field="terms.grace_months"
        )
    issue = terms.issue_date
    if isinstance(issue, datetime) or not isinstance(issue, date):
        raise LoanMathError("issue_date must be a datetime.date", field="terms.issue_date")
    if not last_month_in_range(issue, n):
        raise LoanMathError(
            f"a {n}-month schedule issued on {issue} would run past {date.max}", field="terms.issue_date"
        )
    try:
        method = Method(terms.method)
    except ValueError as exc:
        raise LoanMathError(str(exc), field="terms.method") from exc
    try:
        day_count = DayCount(terms.day_count)
    except ValueError as exc:
        raise LoanMathError(str(exc), field="terms.day_count") from exc
    upfront = _money_field(terms.upfront_fee, "upfront_fee")
    if upfront >= amount:
        raise LoanMathError("upfront_fee must be less than the amount", field="terms.upfront_fee")
    monthly = _money_field(terms.monthly_fee, "monthly_fee")
    return _Terms(amount, rate, n, issue, method, day_count, upfront, monthly, g)


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
    context; ``A = P / m`` where ``f`` is 1 (``r = 0``, or a rate too small to move it).
    This is the instalment of every schedule; the batch path reproduces it exactly (it
    falls back to this function on near-ties).

    Examples
    --------
    >>> annuity_payment(Decimal("10000"), Decimal("8"), 10)
    Decimal('1037.03')
    """
    amount = as_decimal(amount, "amount")
    annual_rate = as_decimal(annual_rate, "annual_rate")
    if isinstance(months, bool) or not isinstance(months, int) or months < 1:
        raise LoanMathError(f"months must be a positive integer (got {months!r})")
    if amount < 0 or annual_rate < 0:
        raise LoanMathError("amount and annual_rate must be >= 0")
    if amount > MAX_AMOUNT or annual_rate > MAX_ANNUAL_RATE or months > MAX_TERM_MONTHS:
        raise LoanMathError(
            f"annuity_payment takes amounts up to {MAX_AMOUNT}, rates up to {MAX_ANNUAL_RATE} % "
            f"and up to {MAX_TERM_MONTHS} months"
        )
    r = CTX.divide(annual_rate, _D1200)
    f = CTX.power(CTX.add(_ONE, r), months)
    if f == _ONE:
        # r == 0, or so small (1E-99999) that (1 + r) ** m is 1 in 40 digits: its interest is
        # below 10**-25 kopecks, and the instalment is the zero-rate one
        return CTX.divide(amount, Decimal(months)).quantize(CENT, rounding=ROUND_HALF_UP, context=CTX)
    raw = CTX.divide(CTX.multiply(CTX.multiply(amount, r), f), CTX.subtract(f, _ONE))
    return raw.quantize(CENT, rounding=ROUND_HALF_UP, context=CTX)


def schedule_factors(
    start: date, dates: Sequence[date], day_count: DayCount, *, first_whole: bool = True
) -> list[Factor]:
    """Per-row accrual factors: ``start -> dates[0]``, then date to date."""
    factors: list[Factor] = []
    prev = start
    for j, when in enumerate(dates):
        factors.append(period_factor(prev, when, day_count, whole_month=first_whole or j > 0))
        prev = when
    return factors


def payments(rows: Rows, dates: Sequence[date], fee: Decimal, *, first_number: int = 1) -> list[Payment]:
    """The ``Decimal`` view of kopeck rows: one :class:`Payment` per row, numbered from ``first_number``.

    Each value is ``Decimal(k) * 0.01`` (:func:`~app.loanmath.money.from_kopecks`, inlined:
    it runs four times a row).
    """
    out: list[Payment] = []
    append = out.append
    dec = Decimal
    cent = CENT
    number = first_number
    with localcontext(CTX):
        # ``dates`` may run on past rows that stopped once the balance was paid
        columns = zip(dates, rows.principal, rows.interest, rows.payment, rows.balance, strict=False)
        for when, p, i, pay, b in columns:
            append(make_payment(number, when, dec(p) * cent, dec(i) * cent, fee, dec(pay) * cent, dec(b) * cent))
            number += 1
    return out


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
    """:func:`~app.loanmath.amortisation.amortise` for callers that hold ``Decimal`` money.

    Rows before ``grace`` pay interest only. An annuity row repays
    ``instalment - interest`` (never below 0 nor above the balance); a
    differentiated row repays ``principal_step``; the last row clears the
    balance, so principal sums exactly to the starting balance. Money must be whole
    kopecks (servicing and early repayment pass schedule values).
    """
    rows = amortise(
        kopecks(balance),
        rate_ratio(annual_rate),
        factors,
        len(dates),
        grace=grace,
        instalment=None if instalment is None else kopecks(instalment),
        step=None if principal_step is None else kopecks(principal_step),
        fee=kopecks(fee),
        stop_when_paid=stop_when_paid,
    )
    return payments(rows, dates, fee, first_number=first_number)


@dataclass(frozen=True, slots=True)
class Plan:
    """A validated new loan's rows in kopecks, with what produced them."""

    terms: _Terms
    rows: Rows
    instalment: int | None
    step: int | None
    psk_percent: Decimal
    psk_amount: int


def plan_schedule(t: _Terms) -> Plan:
    """Rows of a validated new loan, with the instalment (or step) and the PSK."""
    repaying = t.term_months - t.grace_months
    amount = kopecks(t.amount)
    instalment: int | None = None
    step: int | None = None
    if t.method is Method.ANNUITY:
        instalment = kopecks(annuity_payment(t.amount, t.annual_rate, repaying))
    else:
        step = differentiated_step(amount, repaying)
    factors = (
        None  # every row a whole 30/360 month
        if t.day_count is DayCount.THIRTY_360
        else schedule_factors(t.issue_date, payment_dates(t.issue_date, t.term_months), t.day_count)
    )
    fee = kopecks(t.monthly_fee)
    rows = amortise(
        amount,
        rate_ratio(t.annual_rate),
        factors,
        t.term_months,
        grace=t.grace_months,
        instalment=instalment,
        step=step,
        fee=fee,
    )
    # PSK of the flows issue (k = 0) and row k (k months on): q_k = k, e_k = 0. k / 100 is
    # the float nearest the amount, as float(Decimal) is.
    upfront = kopecks(t.upfront_fee)
    psk_amount = sum(rows.payment) + upfront - amount
    cache: dict[int, float] = {}
    flows = [(upfront - amount) / 100]
    for p in rows.payment:
        v = cache.get(p)
        if v is None:
            v = cache[p] = p / 100
        flows.append(v)
    psk = monthly_flows_psk(flows, psk_amount / 100, start=float(t.annual_rate) / 1200.0)
    return Plan(t, rows, instalment, step, psk, psk_amount)


@lru_cache(maxsize=256)
def _iso_dates(issue_date: date, count: int) -> tuple[str, ...]:
    # a pure function of (issue date, term): quotes ask for today's date and a few terms
    return tuple(d.isoformat() for d in payment_dates(issue_date, count))


def kopeck_schedule(terms: LoanTerms) -> KopeckSchedule:
    """A new loan's schedule as columns of integer kopecks (what a quote writes to JSON).

    The same plan as :func:`build_schedule`, without a ``Decimal`` or ``Payment`` per
    value. Invalid terms raise :class:`~app.loanmath.errors.LoanMathError`.
    """
    plan = plan_schedule(validate_terms(terms))
    t, rows = plan.terms, plan.rows
    fee = kopecks(t.monthly_fee)
    return KopeckSchedule(
        dates=_iso_dates(t.issue_date, t.term_months),
        principal=rows.principal,
        interest=rows.interest,
        payment=rows.payment,
        balance=rows.balance,
        fee=fee,
        regular_payment=None if plan.instalment is None else plan.instalment + fee,
        total_interest=sum(rows.interest),
        total_payments=sum(rows.payment),
        psk_percent=plan.psk_percent,
        psk_amount=plan.psk_amount,
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
    The rule is :mod:`~app.loanmath.amortisation`; this is its ``Decimal`` view.

    Examples
    --------
    >>> s = build_schedule(LoanTerms(Decimal("10000"), Decimal("8"), 10, date(2024, 1, 31)))
    >>> s.regular_payment, s.payments[0].interest, s.payments[-1].payment, s.psk_percent
    (Decimal('1037.03'), Decimal('66.67'), Decimal('1037.07'), Decimal('8.000'))
    """
    plan = plan_schedule(validate_terms(terms))
    t, rows = plan.terms, plan.rows
    rows_d = payments(rows, payment_dates(t.issue_date, t.term_months), t.monthly_fee)
    return Schedule(
        regular_payment=None if plan.instalment is None else from_kopecks(plan.instalment + kopecks(t.monthly_fee)),
        payments=tuple(rows_d),
        total_interest=from_kopecks(sum(rows.interest)),
        total_payments=from_kopecks(sum(rows.payment)),
        psk_percent=plan.psk_percent,
        psk_amount=from_kopecks(plan.psk_amount),
    )

