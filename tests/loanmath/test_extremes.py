"""Hypothesis at the edges of the contract: the public functions raise LoanMathError or answer.

Amounts 0.01 .. 10^12 (and beyond), rates 0 .. 100 % (and up to 1000 with long decimals),
terms 1 .. 600, dates 0001-01-01 .. 9999-12-31, grace, fees, early repayments on any day;
plus arguments of the wrong kind (floats, NaN, None, datetimes). Anything but a
LoanMathError (OverflowError, ValueError from datetime, decimal.InvalidOperation, TypeError)
fails the test.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from app import loanmath as lm

kopecks = st.one_of(
    st.integers(1, 100), st.integers(1, 10**14), st.just(10**14), st.integers(10**14, 10**16)
).map(lambda k: Decimal(k).scaleb(-2))
odd = st.one_of(
    st.just(Decimal("NaN")), st.just(Decimal("-Infinity")), st.just(Decimal("1E+99999")),
    st.just(Decimal("1E-99999")), st.just(Decimal("-0.01")), st.just(Decimal("0.001")),
    st.floats(allow_nan=True), st.none(), st.just("12.5"), st.booleans(),
)
money = st.one_of(kopecks, st.just(Decimal("0.00")), odd)
rates = st.one_of(
    st.integers(0, 1_000_000).map(lambda k: Decimal(k).scaleb(-4)),  # 0 .. 100 %, 4 places
    st.builds(lambda n, p: Decimal(n).scaleb(-p), st.integers(0, 10**16), st.integers(0, 16)),
    odd,
)
terms_n = st.one_of(st.integers(1, 600), st.sampled_from([0, 601, -1, 10**9]), odd)
days = st.one_of(st.dates(), st.just(date.min), st.just(date.max), st.datetimes(), st.none())


@st.composite
def loan_terms(draw: st.DrawFn) -> lm.LoanTerms:
    n = draw(terms_n)
    grace = draw(st.one_of(st.just(0), st.integers(0, n if isinstance(n, int) and 0 < n <= 600 else 600), odd))
    return lm.LoanTerms(
        amount=draw(money),
        annual_rate=draw(rates),
        term_months=n,
        issue_date=draw(days),
        method=draw(st.one_of(st.sampled_from(list(lm.Method)), st.just("balloon"))),
        day_count=draw(st.one_of(st.sampled_from(list(lm.DayCount)), st.just("30/365"))),
        upfront_fee=draw(st.one_of(st.just(Decimal(0)), money)),
        monthly_fee=draw(st.one_of(st.just(Decimal(0)), money)),
        grace_months=grace,
    )


def answers_or_refuses(fn: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return fn(*args, **kwargs)
    except lm.LoanMathError:
        return None


@settings(max_examples=150)
@given(loan_terms())
def test_new_schedules(terms: lm.LoanTerms) -> None:
    slow = answers_or_refuses(lm.build_schedule, terms)
    fast = answers_or_refuses(lm.kopeck_schedule, terms)
    assert (slow is None) == (fast is None)


@settings(max_examples=150)
@given(loan_terms(), st.one_of(st.integers(-5, 20_000), st.none()), money, st.sampled_from(list(lm.EarlyRepaymentMode)))
def test_early_repayment(terms: lm.LoanTerms, day: int | None, cash: Any, mode: lm.EarlyRepaymentMode) -> None:
    on: Any = None
    if isinstance(terms.issue_date, date) and day is not None:
        try:
            on = terms.issue_date + timedelta(days=day)
        except OverflowError:
            on = date.max
    answers_or_refuses(lm.early_repayment, terms, on=on, amount=cash, mode=mode)


@settings(max_examples=150)
@given(money, money, rates, terms_n, st.one_of(st.integers(1, 1_000_000).map(lambda k: Decimal(k).scaleb(-4)), odd),
       st.one_of(st.none(), money), st.one_of(st.none(), money))
def test_affordability(income: Any, debts: Any, rate: Any, n: Any, limit: Any, low: Any, high: Any) -> None:
    answers_or_refuses(lm.max_affordable_amount, monthly_income=income, monthly_debt_payments=debts,
                       annual_rate=rate, term_months=n, pdn_limit=limit, min_amount=low, max_amount=high)
    answers_or_refuses(lm.pdn, income, debts, low)
    answers_or_refuses(lm.annuity_payment, income, rate, n)


@settings(max_examples=150)
@given(days, days, st.one_of(st.integers(-120_000, 120_000), odd), money, rates,
       st.one_of(st.sampled_from(list(lm.DayCount)), st.just("30/365")))
def test_calendar_interest_and_money(start: Any, end: Any, months: Any, balance: Any, rate: Any, dc: Any) -> None:
    answers_or_refuses(lm.add_months, start, months)
    answers_or_refuses(lm.payment_dates, start, months if isinstance(months, int) and months < 700 else 1)
    for fn in (lm.whole_months_between, lm.actual_day_fraction, lm.days_30e_360, lm.psk_periods):
        answers_or_refuses(fn, start, end)
    answers_or_refuses(lm.accrued_interest, balance, rate, start, end, dc)
    answers_or_refuses(lm.to_money, balance)


@settings(max_examples=100)
@given(days, st.lists(st.tuples(days, st.one_of(kopecks, kopecks.map(lambda v: -v), odd)), max_size=6))
def test_psk(issue: Any, flows: list[tuple[Any, Any]]) -> None:
    answers_or_refuses(lm.psk, issue, flows)


@settings(max_examples=100)
@given(*(st.lists(st.integers(-10**15, 10**15), max_size=3) for _ in range(3)))
def test_batch(p: list[int], r: list[int], m: list[int]) -> None:
    args = [np.array(x, dtype=np.int64) for x in (p, r, m)]
    for fn in (lm.annuity_schedules_batch, lm.differentiated_schedules_batch, lm.annuity_instalments_kop):
        answers_or_refuses(fn, *args)


def test_a_datetime_is_not_a_date() -> None:
    for call in (lambda: lm.add_months(datetime(2024, 1, 31), 1),
                 lambda: lm.accrued_interest(Decimal(1), Decimal(1), datetime(2024, 1, 1), date(2024, 2, 1))):
        try:
            call()
        except lm.LoanMathError:
            continue
        raise AssertionError("a datetime was taken for a date")
