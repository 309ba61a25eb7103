"""Exact accrual in integer units: interest and penalty to the day, rounded once per use.

An amount accrued is kept as an integer count of ``1 / DEN`` kopeck, so summing the days
of a period and rounding the sum once gives the same kopeck as the schedule's one-shot
formula (``balance * rate * fraction``), whatever the number of pieces.

``DEN = 10**6 * 360 * 365 * 366``: rates are percent with four decimals (``rate_bp`` =
rate x 10**4, so a rate is ``rate_bp / 10**6`` per unit), and one day weighs
``360*366`` units of a year on actual/365 in a common year, ``360*365`` in a leap year
(each day counts 1/365 or 1/366 by its own calendar year), and one 30E/360 day
``365*366``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from app.loanmath import DayCount, LoanMathError
from app.loanmath.calendar import days_30e_360, days_in_year

DEN = 10**6 * 360 * 365 * 366
_COMMON_DAY = 360 * 366
_LEAP_DAY = 360 * 365
_DAY_30 = 365 * 366
DAY_30 = _DAY_30  # the weight of one 30/360 day
_PER_DAY = 360 * 365 * 366  # a rate "per day": the whole day's weight


def rate_bp(rate: Decimal, name: str = "annual_rate") -> int:
    """A percent rate as an integer of ten-thousandths; more places are refused."""
    scaled = rate.scaleb(4)
    if scaled != scaled.to_integral_value() or scaled < 0:
        raise LoanMathError(f"{name} must be >= 0 with at most 4 decimal places (got {rate})")
    return int(scaled)


def actual_weight(start: date, end: date) -> int:
    """Year weight of the days ``[start, end)`` on actual/365, leap years split."""
    if end <= start:
        return 0
    if start.year == end.year:
        days = (end - start).days
        return days * (_LEAP_DAY if days_in_year(start.year) == 366 else _COMMON_DAY)
    total = 0
    cursor = start
    while cursor.year < end.year:
        year_end = date(cursor.year + 1, 1, 1)
        days = (year_end - cursor).days
        total += days * (_LEAP_DAY if days_in_year(cursor.year) == 366 else _COMMON_DAY)
        cursor = year_end
    days = (end - cursor).days
    return total + days * (_LEAP_DAY if days_in_year(end.year) == 366 else _COMMON_DAY)


def weight(start: date, end: date, day_count: DayCount, *, whole_month: bool = False) -> int:
    """Year weight of ``[start, end)`` under the loan's day count.

    On 30/360 a whole scheduled month is exactly 30 days whatever its calendar length
    (the contract's ``balance * rate / 1200``); a part of one counts 30E/360 days.
    """
    if end <= start:
        return 0
    if day_count is DayCount.THIRTY_360:
        return (30 if whole_month else days_30e_360(start, end)) * _DAY_30
    return actual_weight(start, end)


def daily_weight(start: date, end: date) -> int:
    """Weight of the days ``[start, end)`` for a rate stated per day."""
    return max(0, (end - start).days) * _PER_DAY


def to_kopecks(units: int) -> int:
    """Units rounded half up to whole kopecks (units are never negative here)."""
    return (units + DEN // 2) // DEN
