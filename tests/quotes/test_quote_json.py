"""The hand-written quote JSON is byte for byte what the response model would write."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from app import loanmath
from app.quotes.service import kopeck_quote_json, quote_json, to_quote

money = st.integers(min_value=100_000, max_value=5_000_000_000).map(lambda k: Decimal(k).scaleb(-2))
fees = st.integers(min_value=0, max_value=500_000).map(lambda k: Decimal(k).scaleb(-2))
rates = st.integers(min_value=0, max_value=9_999).map(lambda bp: Decimal(bp).scaleb(-2))


@st.composite
def loan_terms(draw: st.DrawFn) -> loanmath.LoanTerms:
    amount = draw(money)
    upfront = draw(fees)
    assume(upfront < amount)
    n = draw(st.integers(min_value=1, max_value=360))
    return loanmath.LoanTerms(
        amount=amount,
        annual_rate=draw(rates),
        term_months=n,
        issue_date=draw(st.dates(min_value=date(2000, 1, 1), max_value=date(2060, 12, 31))),
        method=draw(st.sampled_from(list(loanmath.Method))),
        day_count=draw(st.sampled_from(list(loanmath.DayCount))),
        upfront_fee=upfront,
        monthly_fee=draw(fees),
        grace_months=draw(st.integers(min_value=0, max_value=n - 1)),
    )


def _two_places(schedule: loanmath.Schedule) -> None:
    for p in schedule.payments:
        for v in (p.principal, p.interest, p.fee, p.payment, p.balance):
            assert v.as_tuple().exponent == -2, (p, v)


@given(loan_terms())
def test_schedule_money_has_two_places_and_quote_json_equals_the_models_json(terms: loanmath.LoanTerms) -> None:
    schedule = loanmath.build_schedule(terms)
    _two_places(schedule)
    assert quote_json(schedule) == to_quote(schedule).model_dump_json().encode()


@given(loan_terms())
def test_the_kopeck_quote_json_is_the_same_bytes(terms: loanmath.LoanTerms) -> None:
    fast = loanmath.kopeck_schedule(terms)
    assert fast is not None
    assert kopeck_quote_json(fast) == quote_json(loanmath.build_schedule(terms))


@given(loan_terms(), st.integers(min_value=1, max_value=400), st.integers(min_value=1, max_value=10**9),
       st.sampled_from(list(loanmath.EarlyRepaymentMode)))
def test_early_repayment_schedules_too(
    terms: loanmath.LoanTerms, days: int, kopecks: int, mode: loanmath.EarlyRepaymentMode
) -> None:
    try:
        schedule = loanmath.early_repayment(
            terms, on=terms.issue_date + timedelta(days=days), amount=Decimal(kopecks).scaleb(-2), mode=mode
        )
    except loanmath.LoanMathError:
        assume(False)
        return
    _two_places(schedule)
    assert quote_json(schedule) == to_quote(schedule).model_dump_json().encode()


@pytest.mark.parametrize("term", [1, 12, 59, 60, 61, 360])
def test_short_and_long_kopeck_quotes_are_the_models_bytes(term: int) -> None:
    # one money splitter (numpy) for every length since the plain-Python one for short
    # quotes measured within 15 % (docs/loan-maths.md, "Fast paths: measured")
    terms = loanmath.LoanTerms(amount=Decimal("987654.32"), annual_rate=Decimal("19.9"), term_months=term,
                               issue_date=date(2026, 1, 31), upfront_fee=Decimal("1500.00"),
                               monthly_fee=Decimal("99.00"))
    schedule = loanmath.build_schedule(terms)
    assert kopeck_quote_json(loanmath.kopeck_schedule(terms)) == to_quote(schedule).model_dump_json().encode()
