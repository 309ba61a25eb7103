"""Interest accrual over a period, as one exact expression rounded once.

Every period's interest is ``balance * annual_rate * num / den`` evaluated in
:data:`~app.loanmath.money.CTX` and quantized to the kopeck half up once:

* a whole scheduled month on 30/360: ``num/den = 1/1200`` (exactly the
  contract's ``balance * annual_rate / 1200``, never a pre-rounded ``r``);
* a partial period on 30/360: ``days_30E/360 / 36000``;
* actual/365: ``sum(days_y / len_y) / 100`` as one exact fraction, where each
  calendar year's days count ``1/365`` or ``1/366``.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from .calendar import actual_day_fraction, days_30e_360
from .errors import LoanMathError
from .model import DayCount
from .money import CENT, CTX, as_decimal

__all__ = ["accrued_interest", "period_factor"]

Factor = tuple[Decimal, Decimal]

_ONE = Decimal(1)
_D1200 = Decimal(1200)
_D36000 = Decimal(36000)
WHOLE_MONTH_30_360: Factor = (_ONE, _D1200)


def period_factor(start: date, end: date, day_count: DayCount, *, whole_month: bool) -> Factor:
    """``(num, den)`` such that a period's interest is ``balance * rate * num / den``.

    ``whole_month`` marks a scheduled monthly period (issue or a payment date to
    the next payment date); on 30/360 such a period is exactly one month.
    """
    if day_count is DayCount.THIRTY_360:
        if whole_month:
            return WHOLE_MONTH_30_360
        return Decimal(days_30e_360(start, end)), _D36000
    frac = actual_day_fraction(start, end)
    return Decimal(frac.numerator), Decimal(100 * frac.denominator)


def interest_for(balance: Decimal, annual_rate: Decimal, factor: Factor) -> Decimal:
    """Round ``balance * annual_rate * num / den`` once, half up, to the kopeck."""
    num, den = factor
    return CTX.divide(CTX.multiply(CTX.multiply(balance, annual_rate), num), den).quantize(
        CENT, rounding=ROUND_HALF_UP, context=CTX
    )


def accrued_interest(
    balance: Decimal,
    annual_rate: Decimal,
    start: date,
    end: date,
    day_count: DayCount | str = DayCount.THIRTY_360,
) -> Decimal:
    """Interest accrued on a constant ``balance`` from ``start`` to ``end``.

    Parameters
    ----------
    balance : Decimal
        Outstanding principal, kopecks.
    annual_rate : Decimal
        Percent per year.
    start, end : date
        Accrual runs over ``[start, end)``.
    day_count : DayCount
        ``30/360`` counts days on 30E/360 (month ends count as day 30);
        ``actual/365`` counts actual days, 1/365 or 1/366 by calendar year.

    Returns
    -------
    Decimal
        Interest rounded once to the kopeck, half up.

    Notes
    -----
    30/360: ``I = B * R * D360 / 36000``; actual/365: ``I = B * R / 100 *
    sum_y(d_y / L_y)`` with ``L_y`` in {365, 366}. Used for partial periods
    (early repayment, servicing); whole scheduled months on 30/360 accrue
    ``B * R / 1200`` exactly.
    """
    balance = as_decimal(balance, "balance")
    annual_rate = as_decimal(annual_rate, "annual_rate")
    if balance < 0 or annual_rate < 0:
        raise LoanMathError("balance and annual_rate must be >= 0")
    if end < start:
        raise LoanMathError(f"accrual end {end} precedes start {start}")
    try:
        dc = DayCount(day_count)
    except ValueError as exc:
        raise LoanMathError(f"unknown day count {day_count!r}") from exc
    return interest_for(balance, annual_rate, period_factor(start, end, dc, whole_month=False))
