"""An independent, slow statement of the schedule rules of docs/loan-maths.md, for property tests.

Exact ``Fraction`` arithmetic, the stdlib ``calendar`` for dates and year lengths, and
nothing from ``app.loanmath`` but :func:`annuity_payment` (the instalment formula, tested
on its own against numpy-financial and published examples). The package computes the same
rows in integer kopecks (``app/loanmath/amortisation.py``); this module is how the tests
know that is the rule and not just a rule equal to itself.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from math import floor

from app.loanmath import LoanTerms, annuity_payment

Row = tuple[date, Decimal, Decimal, Decimal, Decimal]  # date, principal, interest, payment, balance


def plus_months(d: date, k: int) -> date:
    y, m = divmod(d.month - 1 + k, 12)
    y += d.year
    return date(y, m + 1, min(d.day, calendar.monthrange(y, m + 1)[1]))


def actual_year_fraction(start: date, end: date) -> Fraction:
    """Each day counts 1/365 or 1/366 by its own calendar year (summed year by year)."""
    total = Fraction(0)
    cursor = start
    while cursor < end:
        year_end = min(end, date(cursor.year, 12, 31) + timedelta(days=1))
        total += Fraction((year_end - cursor).days, 366 if calendar.isleap(cursor.year) else 365)
        cursor = year_end
    return total


def to_kopeck(x: Fraction) -> Fraction:
    """Round half up to the kopeck (x >= 0)."""
    return Fraction(floor(x * 100 + Fraction(1, 2)), 100)


def _dec(x: Fraction) -> Decimal:
    assert (x * 100).denominator == 1
    return Decimal(int(x * 100)).scaleb(-2)


def naive_schedule(t: LoanTerms) -> list[Row]:
    """Every row of ``build_schedule(t)`` by the documented rules, with exact fractions."""
    n, g = t.term_months, t.grace_months
    amount, rate, fee = Fraction(t.amount), Fraction(t.annual_rate), Fraction(t.monthly_fee)
    annuity = str(t.method) == "annuity"
    if annuity:
        due_const = Fraction(annuity_payment(t.amount, t.annual_rate, n - g))
    else:
        due_const = to_kopeck(amount / (n - g))
    balance = amount
    prev = t.issue_date
    rows: list[Row] = []
    for k in range(1, n + 1):
        when = plus_months(t.issue_date, k)
        factor = Fraction(1, 1200) if str(t.day_count) == "30/360" else actual_year_fraction(prev, when) / 100
        interest = to_kopeck(balance * rate * factor)
        if k == n:
            principal = balance
        elif k <= g:
            principal = Fraction(0)
        elif annuity:
            principal = min(max(due_const - interest, Fraction(0)), balance)
        else:
            principal = min(due_const, balance)
        balance -= principal
        rows.append((when, _dec(principal), _dec(interest), _dec(principal + interest + fee), _dec(balance)))
        prev = when
    return rows
