"""Payment dates and day fractions.

Payment ``k`` falls ``k`` calendar months after the issue date with the day
clamped to the month end, always counted from the issue date (31 Jan ->
28/29 Feb -> 31 Mar), never from the previous payment date, so a clamp in
February does not shift the rest of the schedule.
"""

from __future__ import annotations

from datetime import MAXYEAR, MINYEAR, date, datetime
from fractions import Fraction

from .errors import LoanMathError

__all__ = [
    "actual_day_fraction",
    "add_months",
    "check_args",
    "days_30e_360",
    "days_in_month",
    "days_in_year",
    "is_leap",
    "last_month_in_range",
    "payment_dates",
    "whole_months_between",
    "year_fraction",
]

_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def is_leap(year: int) -> bool:
    """Gregorian leap year."""
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def days_in_month(year: int, month: int) -> int:
    """Length of ``month`` (1..12) in ``year``; cheaper than ``calendar.monthrange``."""
    if month == 2 and is_leap(year):
        return 29
    return _MONTH_DAYS[month - 1]


def days_in_year(year: int) -> int:
    """365 or 366."""
    return 366 if is_leap(year) else 365


def check_args(*args: tuple[str, object]) -> None:
    """Refuse arguments of the wrong type with LoanMathError (not a TypeError from deep inside)."""
    for name, value in args:
        if name in ("months", "count"):
            if isinstance(value, bool) or not isinstance(value, int):
                raise LoanMathError(f"{name} must be an integer (got {type(value).__name__})", field=name)
        elif isinstance(value, datetime) or not isinstance(value, date):
            raise LoanMathError(f"{name} must be a datetime.date (got {type(value).__name__})", field=name)


def last_month_in_range(start: date, months: int) -> bool:
    """True when ``start`` plus ``months`` calendar months is a ``date`` (year 1..9999)."""
    return MINYEAR <= start.year + (start.month - 1 + months) // 12 <= MAXYEAR


def add_months(start: date, months: int) -> date:
    """``start`` plus ``months`` calendar months, the day clamped to the month end.

    Raises :class:`LoanMathError` when the result falls outside 0001-01-01 .. 9999-12-31.
    """
    check_args(("start", start), ("months", months))
    if not last_month_in_range(start, months):
        raise LoanMathError(f"{start} plus {months} months is outside the calendar (years 1..9999)")
    index = start.month - 1 + months
    year = start.year + index // 12
    month = index % 12 + 1
    dim = days_in_month(year, month)
    return date(year, month, start.day if start.day <= dim else dim)


def payment_dates(issue_date: date, count: int) -> list[date]:
    """Dates of payments ``1..count`` (each computed from the issue date).

    Equivalent to ``[add_months(issue_date, k) for k in 1..count]``, walked
    month by month because it runs once per schedule row.
    """
    check_args(("issue_date", issue_date), ("count", count))
    if not last_month_in_range(issue_date, count):
        raise LoanMathError(f"payments from {issue_date} for {count} months would run past {date.max}")
    out: list[date] = []
    append = out.append
    day = issue_date.day
    year, month = issue_date.year, issue_date.month
    for _ in range(count):
        if month == 12:
            year += 1
            month = 1
        else:
            month += 1
        if day <= 28:
            append(date(year, month, day))
        else:
            dim = days_in_month(year, month)
            append(date(year, month, day if day <= dim else dim))
    return out


def whole_months_between(start: date, end: date) -> int:
    """Largest ``q >= 0`` with ``add_months(start, q) <= end`` (calendar months).

    With month-end clamping this counts 31 Jan -> 28 Feb as one whole month,
    which is what makes a regular schedule's PSK fractions ``e_k`` zero.
    """
    check_args(("start", start), ("end", end))
    if end < start:
        raise LoanMathError(f"end {end} precedes start {start}")
    q = (end.year - start.year) * 12 + (end.month - start.month)
    while q > 0 and add_months(start, q) > end:
        q -= 1
    return q


def actual_day_fraction(start: date, end: date) -> Fraction:
    """Exact year fraction of ``[start, end)`` on actual/365 (366 in leap years).

    Each day counts ``1/365`` or ``1/366`` by its own calendar year, so a period
    crossing 31 December is split into the two years' parts. Returned as a
    ``Fraction`` so that the caller can round the interest once.
    """
    check_args(("start", start), ("end", end))
    return year_fraction(start, end)


def year_fraction(start: date, end: date) -> Fraction:
    """:func:`actual_day_fraction` of arguments already known to be dates (one call per row)."""
    if end < start:
        raise LoanMathError(f"end {end} precedes start {start}")
    if start.year == end.year:
        return Fraction((end - start).days, days_in_year(start.year))
    total = Fraction(0)
    cursor = start
    while cursor.year < end.year:
        year_end = date(cursor.year + 1, 1, 1)
        total += Fraction((year_end - cursor).days, days_in_year(cursor.year))
        cursor = year_end
    return total + Fraction((end - cursor).days, days_in_year(end.year))


def _day_30(d: date) -> int:
    """30E/360 day number: the 31st and any month end (incl. end of February) count as 30."""
    if d.day >= 30 or d.day == days_in_month(d.year, d.month):
        return 30
    return d.day


def days_30e_360(start: date, end: date) -> int:
    """Days between two dates on 30E/360 with the month-end rule.

    Used only for partial periods (early repayment, servicing); whole scheduled
    months accrue exactly ``r = annual_rate/1200`` regardless of their length.
    Any month end counts as day 30, so 28 Feb -> 31 Mar is 30 days.
    """
    check_args(("start", start), ("end", end))
    if end < start:
        raise LoanMathError(f"end {end} precedes start {start}")
    return 360 * (end.year - start.year) + 30 * (end.month - start.month) + (_day_30(end) - _day_30(start))
