from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.loanmath import LoanMathError, annuity_payment, max_affordable_amount, pdn
from app.loanmath.schedule import MAX_AMOUNT

D = Decimal
CENT = D("0.01")

incomes = st.integers(1_000_000, 100_000_000).map(lambda k: D(k).scaleb(-2))
debts = st.integers(0, 3_000_000).map(lambda k: D(k).scaleb(-2))
rates = st.integers(0, 9_999).map(lambda bp: D(bp).scaleb(-2))
limits = st.integers(10, 90).map(lambda p: D(p) / 100)


def test_pdn_is_a_four_place_ratio() -> None:
    assert pdn(D("100000"), D("20000"), D("25000")) == D("0.4500")
    assert pdn(D("30000"), D("0"), D("10000")) == D("0.3333")
    with pytest.raises(LoanMathError):
        pdn(D("0"), D("1"), D("1"))


@given(incomes, debts, rates, st.integers(1, 360), limits)
def test_max_affordable_amount_is_maximal(
    income: Decimal, debt: Decimal, rate: Decimal, n: int, limit: Decimal
) -> None:
    res = max_affordable_amount(
        monthly_income=income,
        monthly_debt_payments=debt,
        annual_rate=rate,
        term_months=n,
        pdn_limit=limit,
    )
    budget = limit * income - debt
    if res.max_amount == 0:
        assert annuity_payment(CENT, rate, n) > budget or budget <= 0
        return
    assert res.regular_payment == annuity_payment(res.max_amount, rate, n)
    assert debt + res.regular_payment <= budget + debt  # PDN within the limit
    assert res.pdn == pdn(income, debt, res.regular_payment) <= limit
    assert debt + annuity_payment(res.max_amount + CENT, rate, n) > limit * income


def test_clamping_and_unaffordable_minimum() -> None:
    common = dict(
        monthly_income=D("100000"),
        monthly_debt_payments=D("20000"),
        annual_rate=D("18.9"),
        term_months=60,
        pdn_limit=D("0.5"),
    )
    free = max_affordable_amount(**common)  # type: ignore[arg-type]
    assert free.max_amount == D("1158947.57") and free.regular_payment == D("30000.00")
    capped = max_affordable_amount(**common, max_amount=D("500000"))  # type: ignore[arg-type]
    assert capped.max_amount == D("500000.00")
    assert capped.regular_payment == annuity_payment(D("500000"), D("18.9"), 60)
    none = max_affordable_amount(**common, min_amount=D("2000000"))  # type: ignore[arg-type]
    assert none.max_amount == 0 and none.regular_payment == 0 and none.pdn == D("0.2000")
    over = max_affordable_amount(**{**common, "monthly_debt_payments": D("60000")})  # type: ignore[arg-type]
    assert over.max_amount == 0
    with pytest.raises(LoanMathError):
        max_affordable_amount(**{**common, "term_months": 0})  # type: ignore[arg-type]
    with pytest.raises(LoanMathError):
        max_affordable_amount(**common, min_amount=D("10"), max_amount=D("5"))  # type: ignore[arg-type]


def test_the_largest_amount_is_capped_at_the_largest_loan() -> None:
    # budget 10^14 a month at 0 % over 600 months would afford 6 * 10^16: beyond any loan
    res = max_affordable_amount(monthly_income=D("1000000000000"), monthly_debt_payments=D("0"),
                                annual_rate=D("0"), term_months=600, pdn_limit=D("100"))
    assert res.max_amount == MAX_AMOUNT and res.regular_payment == D("1666666666.67")
    assert res.pdn == D("0.0017")
    just_below = max_affordable_amount(monthly_income=D("1666666666.66"), monthly_debt_payments=D("0"),
                                       annual_rate=D("0"), term_months=600, pdn_limit=D("1"))
    assert just_below.max_amount < MAX_AMOUNT
    assert annuity_payment(just_below.max_amount + CENT, D("0"), 600) > D("1666666666.66")


@pytest.mark.parametrize("change", [
    {"monthly_income": D("1e13")}, {"monthly_income": D("0.001")}, {"monthly_income": D("0")},
    {"monthly_debt_payments": D("-1")}, {"monthly_debt_payments": D("1e40")},
    {"pdn_limit": D("1e30")}, {"pdn_limit": D("0")}, {"annual_rate": D("1000.01")},
    {"term_months": 601}, {"min_amount": D("1e30")}, {"max_amount": D("1e-30")},
])
def test_out_of_range_arguments_raise_loan_math_error(change: dict[str, object]) -> None:
    args: dict[str, object] = dict(monthly_income=D("100000"), monthly_debt_payments=D("0"),
                                   annual_rate=D("20"), term_months=12, pdn_limit=D("0.5")) | change
    with pytest.raises(LoanMathError) as err:
        max_affordable_amount(**args)  # type: ignore[arg-type]
    assert err.value.field in args


def test_pdn_above_100_is_a_number() -> None:
    assert pdn(D("0.01"), D("1000000000000"), D("0")) == D("100000000000000")
    with pytest.raises(LoanMathError):
        pdn(D("1e-30"), D("1"), D("1"))
