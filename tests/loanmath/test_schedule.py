import itertools
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import numpy_financial as npf
import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.loanmath import (
    DayCount,
    LoanMathError,
    LoanTerms,
    Method,
    Schedule,
    annuity_payment,
    build_schedule,
    kopeck_schedule,
    to_money,
)

from .conftest import amounts, fees, issue_dates, rates, terms

D = Decimal
ISSUE = date(2024, 1, 31)


def check_invariants(s: Schedule, t: LoanTerms) -> None:
    rows = s.payments
    assert len(rows) == t.term_months
    assert sum((r.principal for r in rows), D(0)) == t.amount
    balance = t.amount
    for k, r in enumerate(rows, 1):
        assert r.number == k
        assert r.payment == r.principal + r.interest + r.fee
        assert r.fee == t.monthly_fee
        assert r.principal >= 0 and r.interest >= 0
        balance -= r.principal
        assert r.balance == balance >= 0
        for v in (r.principal, r.interest, r.payment, r.balance):
            assert v == v.quantize(D("0.01"))
    assert rows[-1].balance == 0
    assert s.total_payments == sum((r.payment for r in rows), D(0))
    assert s.total_interest == sum((r.interest for r in rows), D(0))
    assert s.psk_amount == s.total_payments + t.upfront_fee - t.amount


methods = st.sampled_from(list(Method))
day_counts = st.sampled_from(list(DayCount))


@st.composite
def loan_terms(draw: Any) -> LoanTerms:
    n = draw(terms)
    amount = draw(amounts)
    return LoanTerms(
        amount=amount,
        annual_rate=draw(rates),
        term_months=n,
        issue_date=draw(issue_dates),
        method=draw(methods),
        day_count=draw(day_counts),
        upfront_fee=min(draw(fees), to_money(amount / 10)),
        monthly_fee=draw(fees),
        grace_months=draw(st.integers(0, min(n - 1, 12))),
    )


@given(loan_terms())
def test_schedule_invariants(t: LoanTerms) -> None:
    check_invariants(build_schedule(t), t)


@given(amounts, rates, terms)
def test_annuity_rows_pay_the_instalment_and_interest_is_one_rounding(
    amount: Decimal, rate: Decimal, n: int
) -> None:
    t = LoanTerms(amount, rate, n, ISSUE)
    s = build_schedule(t)
    a = annuity_payment(amount, rate, n)
    assert s.regular_payment == a
    balance = amount
    for r in s.payments:
        assert r.interest == (balance * rate / D(1200)).quantize(D("0.01"), "ROUND_HALF_UP")
        if r.number < n and r.balance > 0:
            # (a tiny loan over a long term can clear early: its last rows pay less)
            assert r.principal + r.interest == a
        balance = r.balance


@given(amounts, st.integers(1, 9_999).map(lambda bp: D(bp).scaleb(-2)), st.integers(2, 360))
def test_differentiated_payments_fall(amount: Decimal, rate: Decimal, n: int) -> None:
    s = build_schedule(LoanTerms(amount, rate, n, ISSUE, method=Method.DIFFERENTIATED))
    step = to_money(amount / n)
    assert all(r.principal == step for r in s.payments[:-1])
    pays = [r.payment for r in s.payments[:-1]]
    assert all(a >= b for a, b in itertools.pairwise(pays))
    assert s.regular_payment is None


@given(amounts, rates, terms)
def test_instalment_matches_numpy_financial_pmt(amount: Decimal, rate: Decimal, n: int) -> None:
    expected = -npf.pmt(float(rate) / 1200.0, n, float(amount))
    assert abs(float(annuity_payment(amount, rate, n)) - expected) <= 0.005 + 1e-9 * expected


def test_published_annuity_examples() -> None:
    # Microsoft Excel PMT documentation, example 1: 8 % a year, 10 monthly
    # payments, loan 10,000 -> monthly payment 1,037.03
    # (https://support.microsoft.com/en-us/office/pmt-function, also the SharePoint
    # "PMT function" page).
    assert annuity_payment(D("10000"), D("8"), 10) == D("1037.03")
    # Claris FileMaker PMT documentation, example 1: 21,000 at 6.9 % over 48 months
    # -> 501.90 (https://help.claris.com/en/pro-help/content/pmt.html).
    assert annuity_payment(D("21000"), D("6.9"), 48) == D("501.90")
    s = build_schedule(LoanTerms(D("10000"), D("8"), 10, ISSUE))
    assert [r.payment for r in s.payments[:-1]] == [D("1037.03")] * 9
    assert s.payments[0].interest == D("66.67")  # 10000 * 8 / 1200
    assert s.payments[-1].payment == D("1037.07")
    assert s.psk_percent == D("8.000")


def test_zero_rate_and_single_month() -> None:
    s = build_schedule(LoanTerms(D("1000.00"), D("0"), 3, ISSUE))
    assert [r.principal for r in s.payments] == [D("333.33"), D("333.33"), D("333.34")]
    assert s.total_interest == 0 and s.psk_percent == 0
    one = build_schedule(LoanTerms(D("1000.00"), D("12"), 1, ISSUE))
    assert one.payments[0].payment == D("1010.00")


def test_grace_months_are_interest_only_then_annuity_over_the_rest() -> None:
    t = LoanTerms(D("120000"), D("12"), 12, ISSUE, grace_months=3)
    s = build_schedule(t)
    assert all(r.principal == 0 and r.interest == D("1200.00") for r in s.payments[:3])
    assert s.regular_payment == annuity_payment(D("120000"), D("12"), 9)
    check_invariants(s, t)


def test_actual_365_interest_across_new_year() -> None:
    # issue 15 Dec 2023: first period 17 days of 2023 + 14 days of 2024 (leap)
    t = LoanTerms(D("100000"), D("20"), 3, date(2023, 12, 15), day_count=DayCount.ACTUAL_365)
    s = build_schedule(t)
    exact = D(100000) * D(20) / 100 * (D(17) / 365 + D(14) / 366)
    assert s.payments[0].interest == exact.quantize(D("0.01"), "ROUND_HALF_UP") == D("1696.53")
    # 15 Jan -> 15 Feb 2024: 31 days / 366
    b = s.payments[0].balance
    assert s.payments[1].interest == to_money(b * D(20) / 100 * 31 / 366)


@pytest.mark.parametrize(
    "change",
    [
        {"amount": D("0")},
        {"amount": D("-5")},
        {"amount": D("100.001")},
        {"amount": 1000.0},
        {"term_months": 0},
        {"term_months": 601},
        {"grace_months": 12},
        {"grace_months": -1},
        {"annual_rate": D("-0.01")},
        {"annual_rate": D("1000.01")},
        {"annual_rate": D("NaN")},
        {"upfront_fee": D("-1")},
        {"monthly_fee": D("-0.01")},
        {"upfront_fee": D("120000")},
        {"method": "balloon"},
        {"day_count": "30/365"},
    ],
)
def test_invalid_terms_raise(change: dict[str, Any]) -> None:
    t = replace(LoanTerms(D("120000"), D("12"), 12, ISSUE), **change)
    with pytest.raises(LoanMathError):
        build_schedule(t)


def test_string_enums_are_accepted() -> None:
    t = LoanTerms(D("1000"), D("10"), 2, ISSUE, method="differentiated", day_count="actual/365")  # type: ignore[arg-type]
    assert build_schedule(t).regular_payment is None


@pytest.mark.parametrize("build", [build_schedule, kopeck_schedule])
def test_a_schedule_past_9999_is_refused_with_its_field(build: Any) -> None:
    # issue 9999-01-01 + 12 months would be 10000-01-01: POST /v1/quotes answered 500
    with pytest.raises(LoanMathError, match="would run past 9999-12-31") as err:
        build(LoanTerms(D("1000"), D("10"), 12, date(9999, 1, 1)))
    assert err.value.field == "terms.issue_date"
    last = build(LoanTerms(D("1000"), D("10"), 12, date(9998, 12, 31)))
    assert getattr(last, "payments", None) is None or last.payments[-1].date == date(9999, 12, 31)


def test_early_repayment_past_9999_is_refused_with_its_field() -> None:
    from app.loanmath import early_repayment

    with pytest.raises(LoanMathError) as err:
        early_repayment(LoanTerms(D("1000"), D("10"), 24, date(9999, 1, 1)), on=date(9999, 6, 1),
                        amount=D("100"), mode="reduce_term")
    assert err.value.field == "terms.issue_date"


def test_a_rate_too_small_to_move_the_factor_is_the_zero_rate_instalment() -> None:
    # (1 + 1E-99999/1200) ** 1 is 1 in 40 digits: the closed form divided by zero (found by
    # tests/loanmath/test_extremes.py::test_affordability)
    tiny = Decimal("1E-99999")
    assert annuity_payment(Decimal("1000000000000.00"), tiny, 1) == Decimal("1000000000000.00")
    assert annuity_payment(Decimal("10000"), tiny, 3) == annuity_payment(Decimal("10000"), Decimal(0), 3)
