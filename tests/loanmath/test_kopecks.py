"""The integer-kopeck schedule equals the Decimal one, field for field, on any valid terms."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from app import loanmath
from app.loanmath.schedule import MAX_AMOUNT, MAX_TERM_MONTHS


def _kop(v: Decimal) -> int:
    assert v.as_tuple().exponent == -2, v
    return int(v.scaleb(2))


def assert_same(fast: loanmath.KopeckSchedule, slow: loanmath.Schedule) -> None:
    rows = slow.payments
    assert list(fast.dates) == [p.date.isoformat() for p in rows]
    assert fast.principal == [_kop(p.principal) for p in rows]
    assert fast.interest == [_kop(p.interest) for p in rows]
    assert fast.payment == [_kop(p.payment) for p in rows]
    assert fast.balance == [_kop(p.balance) for p in rows]
    assert all(_kop(p.fee) == fast.fee for p in rows)
    assert fast.regular_payment == (None if slow.regular_payment is None else _kop(slow.regular_payment))
    assert fast.total_interest == _kop(slow.total_interest)
    assert fast.total_payments == _kop(slow.total_payments)
    assert fast.psk_amount == _kop(slow.psk_amount)
    assert fast.psk_percent == slow.psk_percent
    assert str(fast.psk_percent) == str(slow.psk_percent)


# Rates with up to 10 decimals (the integer path's proven range) and a few beyond it.
rates = st.one_of(
    st.integers(min_value=0, max_value=99_999).map(lambda bp: Decimal(bp).scaleb(-2)),
    st.builds(lambda n, places: Decimal(n).scaleb(-places),
              st.integers(min_value=0, max_value=10**13), st.integers(min_value=0, max_value=13)),
)
amounts = st.one_of(
    st.integers(min_value=1, max_value=10**9),
    st.integers(min_value=1, max_value=int(MAX_AMOUNT * 100)),
).map(lambda k: Decimal(k).scaleb(-2))


@st.composite
def any_terms(draw: st.DrawFn) -> loanmath.LoanTerms:
    n = draw(st.one_of(st.integers(min_value=1, max_value=60), st.integers(min_value=1, max_value=MAX_TERM_MONTHS)))
    amount = draw(amounts)
    return loanmath.LoanTerms(
        amount=amount,
        annual_rate=draw(rates),
        term_months=n,
        issue_date=draw(st.dates(min_value=date(2000, 1, 1), max_value=date(2080, 12, 31))),
        method=draw(st.sampled_from(list(loanmath.Method))),
        day_count=draw(st.sampled_from(list(loanmath.DayCount))),
        upfront_fee=draw(st.one_of(st.just(Decimal("0.00")), amounts)),
        monthly_fee=draw(st.one_of(st.just(Decimal("0.00")), amounts)),
        grace_months=draw(st.one_of(st.just(0), st.integers(min_value=0, max_value=n))),
    )


def _outcome(build, terms):  # type: ignore[no-untyped-def]
    try:
        return build(terms), None
    except loanmath.LoanMathError as exc:
        return None, str(exc)


@settings(max_examples=300)
@given(any_terms())
@example(loanmath.LoanTerms(Decimal("10000.00"), Decimal("10.53"), 3, date(2026, 1, 31)))
@example(loanmath.LoanTerms(Decimal("500000.00"), Decimal("27.9"), 360, date(2026, 1, 31),
                            day_count=loanmath.DayCount.ACTUAL_365, grace_months=2,
                            upfront_fee=Decimal("1000.00"), monthly_fee=Decimal("99.90")))
@example(loanmath.LoanTerms(Decimal("0.01"), Decimal("999.9999999999"), 600, date(2028, 2, 29)))
def test_kopeck_schedule_equals_build_schedule(terms: loanmath.LoanTerms) -> None:
    fast, fast_error = _outcome(loanmath.kopeck_schedule, terms)
    slow, slow_error = _outcome(loanmath.build_schedule, terms)
    if fast_error or slow_error:
        assert fast_error == slow_error  # the same terms refused with the same message
        return
    assert slow is not None
    if fast is None:  # the rate has more decimals than the integer path takes
        assert terms.annual_rate.as_integer_ratio()[1] > 10**10
        return
    assert_same(fast, slow)


@pytest.mark.parametrize("rate", ["27.9", "0", "12.3456789012"])
def test_kopeck_schedule_takes_rates_up_to_ten_decimals(rate: str) -> None:
    terms = loanmath.LoanTerms(Decimal("250000.00"), Decimal(rate), 24, date(2026, 11, 23))
    fast = loanmath.kopeck_schedule(terms)
    assert fast is not None
    assert_same(fast, loanmath.build_schedule(terms))


def test_longer_rates_are_left_to_the_decimal_path() -> None:
    terms = loanmath.LoanTerms(Decimal("250000.00"), Decimal("12.34567890123"), 24, date(2026, 11, 23))
    assert loanmath.kopeck_schedule(terms) is None
