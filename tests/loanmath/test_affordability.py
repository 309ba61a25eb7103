from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.loanmath import LoanMathError, annuity_payment, max_affordable_amount, pdn

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
