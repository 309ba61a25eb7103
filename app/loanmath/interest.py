"""Interest accrual over a period: the period's factor and :func:`accrued_interest`.

A period's interest is ``balance * annual_rate * num / den`` as one exact expression,
rounded half up to the kopeck once (:func:`~app.loanmath.amortisation.row_interest`):

* a whole scheduled month on 30/360: ``num/den = 1/1200`` (exactly the contract's
  ``balance * annual_rate / 1200``, never a pre-rounded ``r``);
* a partial period on 30/360: ``days_30E/360 / 36000``;
* actual/365: ``sum(days_y / len_y) / 100`` as one exact fraction, where each
  calendar year's days count ``1/365`` or ``1/366``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from .amortisation import WHOLE_MONTH, Factor, row_interest
from .calendar import check_args, days_30e_360, year_fraction
from .errors import LoanMathError
from .model import DayCount
from .money import as_decimal, from_kopecks

__all__ = ["accrued_interest", "period_factor"]


def period_factor(start: date, end: date, day_count: DayCount, *, whole_month: bool) -> Factor:
    """``(num, den)`` such that a period's interest is ``balance * rate * num / den``.

    ``whole_month`` marks a scheduled monthly period (issue or a payment date to
    the next payment date); on 30/360 such a period is exactly one month.
    """
    if day_count is DayCount.THIRTY_360:
        if whole_month:
            return WHOLE_MONTH
        return days_30e_360(start, end), 36000
    frac = year_fraction(start, end)
    return frac.numerator, 100 * frac.denominator


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
        Outstanding principal (roubles).
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
    ``B * R / 1200`` exactly. Evaluated exactly, as the schedules' rows are: with
    ``B = bn / bd`` roubles, ``row_interest`` of ``100 bn`` kopecks at rate ``rn / (rd bd)``.
    """
    balance = as_decimal(balance, "balance")
    annual_rate = as_decimal(annual_rate, "annual_rate")
    if balance < 0 or annual_rate < 0:
        raise LoanMathError("balance and annual_rate must be >= 0")
    check_args(("start", start), ("end", end))
    if end < start:
        raise LoanMathError(f"accrual end {end} precedes start {start}", field="end")
    try:
        dc = DayCount(day_count)
    except ValueError as exc:
        raise LoanMathError(f"unknown day count {day_count!r}") from exc
    bn, bd = balance.as_integer_ratio()
    rn, rd = annual_rate.as_integer_ratio()
    factor = period_factor(start, end, dc, whole_month=False)
    return from_kopecks(row_interest(100 * bn, (rn, rd * bd), factor))
