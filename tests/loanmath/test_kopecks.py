"""The kopeck schedule equals the Decimal one field for field, and both follow the documented rule."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from app import loanmath
from app.loanmath.amortisation import WHOLE_MONTH, rate_ratio, row_interest
from app.loanmath.interest import period_factor
from app.loanmath.money import CTX, from_kopecks
from app.loanmath.schedule import MAX_AMOUNT, MAX_TERM_MONTHS

from .reference import naive_schedule


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


# Rates with up to 10 decimals (where the exact rule equals the former 40-digit evaluation) and beyond.
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
    assert fast is not None and slow is not None
    assert_same(fast, slow)


@settings(max_examples=120)
@given(any_terms())
@example(loanmath.LoanTerms(Decimal("250000.00"), Decimal("12.34567890123"), 24, date(2026, 11, 23)))
@example(loanmath.LoanTerms(Decimal("0.01"), Decimal("999.9999999999"), 600, date(2028, 2, 29)))
@example(loanmath.LoanTerms(Decimal("500000.00"), Decimal("27.9"), 360, date(2023, 12, 15),
                            method=loanmath.Method.DIFFERENTIATED, day_count=loanmath.DayCount.ACTUAL_365,
                            grace_months=5, monthly_fee=Decimal("99.90")))
def test_rows_follow_the_documented_rule(terms: loanmath.LoanTerms) -> None:
    """Every row equals an independent, exact-fraction statement of the rule (tests/loanmath/reference.py)."""
    fast, error = _outcome(loanmath.kopeck_schedule, terms)
    if error:
        return
    assert fast is not None
    expected = naive_schedule(terms)
    assert list(fast.dates) == [row[0].isoformat() for row in expected]
    got = list(zip(fast.principal, fast.interest, fast.payment, fast.balance, strict=True))
    assert got == [tuple(_kop(v) for v in row[1:]) for row in expected]


# The former Decimal engine's interest: one 40-digit expression, quantized half up.
def _interest_40_digits(balance: Decimal, rate: Decimal, num: int, den: int) -> Decimal:
    return CTX.divide(CTX.multiply(CTX.multiply(balance, rate), Decimal(num)), Decimal(den)).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP, context=CTX
    )


@given(
    st.integers(min_value=0, max_value=int(MAX_AMOUNT * 100)),
    st.builds(lambda n, places: Decimal(n).scaleb(-places),
              st.integers(min_value=0, max_value=10**13), st.integers(min_value=0, max_value=10)),
    st.dates(min_value=date(1, 1, 1), max_value=date(9998, 1, 1)),
    st.integers(min_value=0, max_value=800),
)
def test_row_interest_equals_the_40_digit_decimal_evaluation(balance: int, rate: Decimal, start: date, days: int) -> None:
    """For rates with up to 10 decimals (every rate the API takes has 4) the exact rule and the
    40-digit Decimal evaluation the Decimal engine used round to the same kopeck
    (docs/loan-maths.md, "Kopecks"); a longer rate gets the exact value."""
    assume(rate <= 1000)
    end = start + timedelta(days=days)
    for factor in (WHOLE_MONTH, period_factor(start, end, loanmath.DayCount.THIRTY_360, whole_month=False),
                   period_factor(start, end, loanmath.DayCount.ACTUAL_365, whole_month=False)):
        got = row_interest(balance, rate_ratio(rate), factor)
        assert from_kopecks(got) == _interest_40_digits(from_kopecks(balance), rate, *factor)
