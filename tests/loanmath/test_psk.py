import calendar
import importlib
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from app.loanmath import LoanMathError, LoanTerms, annuity_payment, build_schedule, psk

from .conftest import amounts, fees, issue_dates, rates, terms

D = Decimal


def _plus_months(d: date, k: int) -> date:
    """Independent month arithmetic via the stdlib calendar (not app.loanmath)."""
    y, m = divmod(d.month - 1 + k, 12)
    y += d.year
    last = calendar.monthrange(y, m + 1)[1]
    return date(y, m + 1, min(d.day, last))


def _law_npv(i: float, issue: date, flows: list[tuple[date, Decimal]]) -> float:
    """353-FZ art. 6 part 2.1, evaluated directly: sum DP_k / ((1 + e_k i)(1 + i)^q_k)."""
    total = 0.0
    for when, amount in flows:
        q = 0
        while _plus_months(issue, q + 1) <= when:
            q += 1
        e = (when - _plus_months(issue, q)).days / (365 / 12)
        total += float(amount) / ((1 + e * i) * (1 + i) ** q)
    return total


def _brute_force_psk(issue: date, flows: list[tuple[date, Decimal]]) -> Decimal:
    lo, hi = 1e-12, 1.0
    for _ in range(200):  # plain bisection, no derivatives
        mid = (lo + hi) / 2
        if _law_npv(mid, issue, flows) > 0:
            lo = mid
        else:
            hi = mid
    return D(f"{lo * 1200:.9f}").quantize(D("0.001"), "ROUND_HALF_UP")


@given(
    st.integers(1_000_000, 5_000_000_000).map(lambda k: D(k).scaleb(-2)),
    st.integers(0, 9_999).map(lambda bp: D(bp).scaleb(-2)),
    terms,
    issue_dates,
)
def test_fee_free_30_360_annuity_psk_equals_nominal_rate(
    amount: Decimal, rate: Decimal, n: int, issue: date
) -> None:
    # The PSK of the kopeck-rounded payments: rounding can move the third decimal by one
    # from 10,000.00 up (e.g. 10,000.00 at 10.53 % over 3 months gives 10.531), more below
    # that (documented in docs/loan-maths.md).
    s = build_schedule(LoanTerms(amount, rate, n, issue))
    assert abs(s.psk_percent - rate.quantize(D("0.001"))) <= D("0.001")


@given(
    st.integers(1_000_000, 500_000_000).map(lambda k: D(k).scaleb(-2)),
    st.integers(100, 5_000).map(lambda bp: D(bp).scaleb(-2)),
    st.integers(6, 120),
)
def test_grace_and_fees_raise_the_psk(amount: Decimal, rate: Decimal, n: int) -> None:
    issue = date(2024, 3, 31)
    base = build_schedule(LoanTerms(amount, rate, n, issue)).psk_percent
    upfront = build_schedule(
        LoanTerms(amount, rate, n, issue, upfront_fee=(amount / 50).quantize(D("0.01")))
    ).psk_percent
    monthly = build_schedule(
        LoanTerms(amount, rate, n, issue, monthly_fee=(amount / 1000).quantize(D("0.01")))
    ).psk_percent
    graced = build_schedule(LoanTerms(amount, rate, n, issue, grace_months=3))
    assert upfront > base
    assert monthly > base
    # grace alone keeps the nominal rate (interest is paid monthly) but costs more money
    assert graced.psk_amount > build_schedule(LoanTerms(amount, rate, n, issue)).psk_amount
    with_both = build_schedule(LoanTerms(amount, rate, n, issue, grace_months=3, upfront_fee=D("1000.00")))
    # grace keeps the nominal rate up to the kopeck rounding of the payments (one unit
    # of the third decimal either way, as in the test above)
    assert with_both.psk_percent > graced.psk_percent >= base - D("0.001")


def test_irregular_first_period_of_45_days_matches_direct_evaluation() -> None:
    issue = date(2024, 1, 10)
    first = issue + timedelta(days=45)  # 24 Feb 2024: q = 1, e = 14 / (365/12)
    amount = D("250000.00")
    pay = annuity_payment(amount, D("23.9"), 12)
    flows = [(issue, -amount)] + [(_plus_months(first, k), pay) for k in range(12)]
    got = psk(issue, flows)
    assert got == _brute_force_psk(issue, flows)
    # the longer first period lowers the cost below the regular schedule's
    regular = [(issue, -amount)] + [(_plus_months(issue, k), pay) for k in range(1, 13)]
    assert got < psk(issue, regular)


def test_irregular_dates_and_upfront_fee_match_direct_evaluation() -> None:
    issue = date(2023, 12, 20)
    flows = [
        (issue, D("-95000.00")),  # 100,000 lent, 5,000 fee at issue
        (date(2024, 1, 5), D("1500.00")),  # q = 0, e = 16 / 30.4167
        (date(2024, 3, 1), D("30000.00")),
        (date(2024, 6, 30), D("40000.00")),
        (date(2024, 12, 31), D("45000.00")),
    ]
    assert psk(issue, flows) == _brute_force_psk(issue, flows)


def test_psk_from_a_zero_rate_loan_is_zero_and_no_solution_raises() -> None:
    issue = date(2024, 1, 1)
    assert psk(issue, [(issue, D("-100")), (date(2024, 2, 1), D("100"))]) == 0
    with pytest.raises(LoanMathError):
        psk(issue, [(issue, D("-100")), (date(2024, 2, 1), D("99"))])
    with pytest.raises(LoanMathError):
        psk(issue, [(issue, D("-100"))])
    with pytest.raises(LoanMathError):
        psk(issue, [(issue, D("-100")), (date(2023, 12, 1), D("200"))])


def test_published_example_100k_12pct_12_months() -> None:
    # Textbook annuity: 100,000 at 12 % a year for 12 months; r = 1 %,
    # A = 100000 * 0.01 / (1 - 1.01^-12) = 8,884.88 (also Excel PMT(1%,12,-100000)).
    s = build_schedule(LoanTerms(D("100000"), D("12"), 12, date(2024, 1, 15)))
    assert s.regular_payment == D("8884.88")
    assert s.psk_percent == D("12.000")
    # a 1 % upfront fee: the PSK rises; checked against the law evaluated directly
    t = LoanTerms(D("100000"), D("12"), 12, date(2024, 1, 15), upfront_fee=D("1000"))
    s = build_schedule(t)
    flows = [(t.issue_date, D("-99000"))] + [(p.date, p.payment) for p in s.payments]
    assert s.psk_percent == _brute_force_psk(t.issue_date, flows) > D("12")


@given(
    st.integers(1_000_000, 500_000_000).map(lambda k: D(k).scaleb(-2)),
    st.integers(0, 9_999).map(lambda bp: D(bp).scaleb(-2)),
    st.integers(2, 120),
    st.integers(0, 300_000).map(lambda k: D(k).scaleb(-2)),
    st.integers(0, 50_000).map(lambda k: D(k).scaleb(-2)),
)
def test_regular_schedule_psk_equals_numpy_financial_irr(
    amount: Decimal, rate: Decimal, n: int, upfront: Decimal, monthly: Decimal
) -> None:
    import numpy_financial as npf

    t = LoanTerms(amount, rate, n, date(2024, 1, 31), upfront_fee=upfront, monthly_fee=monthly)
    s = build_schedule(t)
    irr = npf.irr([float(upfront - amount)] + [float(p.payment) for p in s.payments])
    assert abs(float(s.psk_percent) - irr * 1200) <= 0.0005 + 1e-9



@given(amounts, rates, st.integers(min_value=1, max_value=96), fees, fees)
def test_short_schedules_solve_the_same_root_by_horner_as_by_numpy(
    amount: Decimal, rate: Decimal, n: int, upfront: Decimal, monthly: Decimal
) -> None:
    """A new loan's monthly flows (up to 96) use the pure-float Horner NPV; it must land on
    the root that the general numpy evaluation finds (the published PSK, to 3 decimals)."""
    psk_module = importlib.import_module("app.loanmath.psk")  # the package re-exports psk()

    assume(upfront < amount)
    schedule = build_schedule(
        LoanTerms(amount=amount, annual_rate=rate, term_months=n, issue_date=date(2026, 1, 15),
                  upfront_fee=upfront, monthly_fee=monthly)
    )
    flows = [upfront - amount, *(p.payment for p in schedule.payments)]
    values, total = [float(f) for f in flows], float(sum(flows))
    by_horner = psk_module.monthly_flows_psk(values, total)
    general = psk_module.periods_psk(values, total, list(range(len(flows))), [0.0] * len(flows))
    assert by_horner == general == schedule.psk_percent
