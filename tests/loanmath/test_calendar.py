import itertools
from datetime import date, timedelta
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.loanmath import (
    LoanMathError,
    actual_day_fraction,
    add_months,
    days_30e_360,
    payment_dates,
    whole_months_between,
)


def test_month_end_clamp_from_31_january_leap_and_plain_years() -> None:
    assert payment_dates(date(2024, 1, 31), 3) == [
        date(2024, 2, 29),
        date(2024, 3, 31),  # from the issue date, not 29 Mar from the previous payment
        date(2024, 4, 30),
    ]
    assert payment_dates(date(2023, 1, 31), 2) == [date(2023, 2, 28), date(2023, 3, 31)]
    assert add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)
    assert add_months(date(2024, 2, 29), 48) == date(2028, 2, 29)
    assert add_months(date(1900, 1, 31), 1) == date(1900, 2, 28)  # 1900 not leap
    assert add_months(date(2000, 1, 31), 1) == date(2000, 2, 29)  # 2000 leap
    assert add_months(date(2024, 12, 15), 1) == date(2025, 1, 15)


@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 1, 1)), st.integers(1, 600))
def test_payment_dates_equal_add_months(issue: date, n: int) -> None:
    dates = payment_dates(issue, n)
    assert dates == [add_months(issue, k) for k in range(1, n + 1)]
    assert all(a < b for a, b in itertools.pairwise(dates))
    assert all(whole_months_between(issue, d) == k for k, d in enumerate(dates, 1))


def test_actual_fraction_split_across_31_december() -> None:
    # 2023-12-15 -> 2024-01-15: 17 days of 2023 (/365) + 14 days of 2024 (/366)
    assert actual_day_fraction(date(2023, 12, 15), date(2024, 1, 15)) == Fraction(17, 365) + Fraction(14, 366)
    assert actual_day_fraction(date(2024, 1, 1), date(2025, 1, 1)) == 1
    assert actual_day_fraction(date(2023, 3, 1), date(2023, 3, 1)) == 0
    # spanning two year ends
    frac = actual_day_fraction(date(2023, 12, 31), date(2025, 1, 2))
    assert frac == Fraction(1, 365) + 1 + Fraction(1, 365)


@given(
    st.dates(min_value=date(2000, 1, 1), max_value=date(2050, 1, 1)),
    st.integers(0, 800),
    st.integers(0, 800),
)
def test_day_counts_are_additive(start: date, a: int, b: int) -> None:
    mid, end = start + timedelta(days=a), start + timedelta(days=a + b)
    assert actual_day_fraction(start, end) == actual_day_fraction(start, mid) + actual_day_fraction(mid, end)
    assert days_30e_360(start, end) == days_30e_360(start, mid) + days_30e_360(mid, end)


def test_30e_360_month_end_rule() -> None:
    assert days_30e_360(date(2024, 1, 31), date(2024, 2, 29)) == 30
    assert days_30e_360(date(2023, 2, 28), date(2023, 3, 31)) == 30
    assert days_30e_360(date(2024, 1, 15), date(2024, 2, 1)) == 16
    assert days_30e_360(date(2024, 1, 15), date(2025, 1, 15)) == 360


def test_dates_beyond_the_calendar_raise_loan_math_error() -> None:
    # datetime.date stops at 9999-12-31; the maths says so instead of leaking ValueError
    assert add_months(date(9999, 1, 31), 11) == date(9999, 12, 31)
    assert payment_dates(date(9998, 12, 31), 12)[-1] == date(9999, 12, 31)
    with pytest.raises(LoanMathError, match="9999-12-31"):
        payment_dates(date(9999, 1, 1), 12)
    with pytest.raises(LoanMathError):
        add_months(date(9999, 12, 1), 1)
    with pytest.raises(LoanMathError):
        add_months(date(1, 1, 1), -1)
    with pytest.raises(LoanMathError):
        days_30e_360(date(2024, 2, 1), date(2024, 1, 1))
