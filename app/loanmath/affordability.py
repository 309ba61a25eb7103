"""Debt-load ratio (ПДН) and the largest affordable loan."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

from .errors import LoanMathError
from .money import CENT, CTX, ZERO, as_decimal, from_kopecks, is_money, kopecks, money_arg
from .schedule import MAX_AMOUNT, MAX_ANNUAL_RATE, MAX_TERM_MONTHS, annuity_payment

__all__ = ["MAX_PDN_LIMIT", "Affordability", "max_affordable_amount", "pdn"]

_PDN_PLACES = Decimal("0.0001")
_ONE = Decimal(1)
#: The largest PDN limit taken (a ratio: 100 means payments may take 100 times the income).
MAX_PDN_LIMIT = Decimal(100)


@dataclass(frozen=True, slots=True)
class Affordability:
    """Largest affordable amount, its instalment and the resulting PDN."""

    max_amount: Decimal
    regular_payment: Decimal
    pdn: Decimal


def pdn(monthly_income: Decimal, monthly_debt_payments: Decimal, new_payment: Decimal) -> Decimal:
    """Debt-load ratio ``(existing debt payments + new payment) / income``, 4 places half up.

    A ratio, not percent: 0.4500 means 45 %. Each argument is money (whole kopecks, up to
    10^12; ``new_payment`` up to twice that, an instalment with its interest); the ratio
    can exceed 1 (and 100) when the debts exceed the income.
    """
    income = money_arg(monthly_income, "monthly_income", positive=True)
    debts = money_arg(monthly_debt_payments, "monthly_debt_payments")
    new = as_decimal(new_payment, "new_payment")
    if not 0 <= new <= 2 * MAX_AMOUNT or not is_money(new):
        raise LoanMathError(
            f"new_payment must be whole kopecks in 0..{2 * MAX_AMOUNT} (got {new})", field="new_payment"
        )
    return CTX.divide(CTX.add(debts, new), income).quantize(_PDN_PLACES, rounding=ROUND_HALF_UP, context=CTX)


def max_affordable_amount(
    *,
    monthly_income: Decimal,
    monthly_debt_payments: Decimal,
    annual_rate: Decimal,
    term_months: int,
    pdn_limit: Decimal,
    min_amount: Decimal | None = None,
    max_amount: Decimal | None = None,
) -> Affordability:
    """Largest amount, to the kopeck, whose rounded annuity instalment keeps PDN within the limit.

    Parameters
    ----------
    monthly_income, monthly_debt_payments : Decimal
        Income and the borrower's existing monthly debt payments.
    annual_rate : Decimal
        Percent per year. term_months : int, 1..600.
    pdn_limit : Decimal
        Ratio (0.5 = 50 %). The condition is on the exact ratio,
        ``debts + A(P) <= pdn_limit * income`` (not on the 4-place rounding).
    min_amount, max_amount : Decimal, optional
        Product bounds. The result is clamped to ``max_amount`` (and always to
        ``MAX_AMOUNT``, 10^12, the largest loan the package computes); when even
        ``min_amount`` is unaffordable the result is ``max_amount = 0`` with a
        zero instalment (the loan cannot be offered).

    Returns
    -------
    Affordability
        ``max_amount``, its instalment ``regular_payment`` (no fees) and ``pdn``.

    Notes
    -----
    Analytic inverse ``P* = B (1 - (1 + r)^-m) / r`` with budget
    ``B = pdn_limit * income - debts`` gives a start; because ``A(P)`` is
    rounded to the kopeck and non-decreasing in ``P``, a bisection over whole
    kopecks in a bracket around ``P*`` then finds the largest ``P`` with
    ``A(P) <= B`` exactly.
    """
    income = money_arg(monthly_income, "monthly_income", positive=True)
    debts = money_arg(monthly_debt_payments, "monthly_debt_payments")
    rate = as_decimal(annual_rate, "annual_rate")
    if not 0 <= rate <= MAX_ANNUAL_RATE:
        raise LoanMathError(f"annual_rate must be in 0..{MAX_ANNUAL_RATE} (got {rate})", field="annual_rate")
    limit = as_decimal(pdn_limit, "pdn_limit")
    if not 0 < limit <= MAX_PDN_LIMIT:
        raise LoanMathError(f"pdn_limit must be in (0, {MAX_PDN_LIMIT}] (got {limit})", field="pdn_limit")
    n = term_months
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_TERM_MONTHS:
        raise LoanMathError(f"term_months must be an integer in 1..{MAX_TERM_MONTHS}", field="term_months")
    low = None if min_amount is None else money_arg(min_amount, "min_amount")
    high = None if max_amount is None else money_arg(max_amount, "max_amount", positive=True)
    if low is not None and high is not None and low > high:
        raise LoanMathError("min_amount exceeds max_amount", field="min_amount")

    budget = CTX.subtract(CTX.multiply(limit, income), debts)
    best = _largest_affordable_kop(budget, rate, n) if budget > 0 else 0
    if high is not None:
        best = min(best, kopecks(high))
    if low is not None and best < kopecks(low):
        best = 0
    amount = from_kopecks(best)
    instalment = annuity_payment(amount, rate, n) if best else ZERO
    return Affordability(max_amount=amount, regular_payment=instalment, pdn=pdn(income, debts, instalment))


def _largest_affordable_kop(budget: Decimal, rate: Decimal, n: int) -> int:
    """Largest ``P`` in kopecks, at most ``MAX_AMOUNT``, with ``annuity_payment(P) <= budget``
    (0 if none)."""

    def fits(kop: int) -> bool:
        return annuity_payment(from_kopecks(kop), rate, n) <= budget

    top = kopecks(MAX_AMOUNT)  # no loan beyond the largest amount the package lends
    if fits(top):
        return top

    if rate == 0:
        estimate = CTX.multiply(budget, Decimal(n))
    else:
        r = CTX.divide(rate, Decimal(1200))
        v = CTX.power(CTX.add(_ONE, r), -n)
        estimate = CTX.divide(CTX.multiply(budget, CTX.subtract(_ONE, v)), r)
    guess = min(kopecks(estimate.quantize(CENT, ROUND_FLOOR, context=CTX)), top)
    # A(P) moves by at most one rounding (0.005) from its exact value, so the
    # answer lies within 0.01 / (dA/dP) of the estimate; widen until bracketed.
    width = max(2, n)
    lo = max(0, guess - width)
    while lo > 0 and not fits(lo):
        lo = max(0, lo - 2 * width)
        width *= 2
    if lo == 0 and not fits(0):
        return 0
    hi = min(guess + width, top)
    while fits(hi):  # ends by hi == top at the latest: not fits(top)
        lo, hi = hi, min(hi + 2 * width, top)
        width *= 2
    while hi - lo > 1:  # invariant: fits(lo) and not fits(hi)
        mid = (lo + hi) // 2
        if fits(mid):
            lo = mid
        else:
            hi = mid
    return lo
