from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.loanmath import (
    DayCount,
    EarlyRepaymentMode,
    LoanMathError,
    LoanTerms,
    Method,
    accrued_interest,
    annuity_payment,
    build_schedule,
    early_repayment,
)

D = Decimal
T = LoanTerms(D("300000"), D("15"), 24, date(2024, 1, 15))


def test_accrued_interest_by_day_count() -> None:
    # 30E/360: 15 May -> 1 Jun = 16 days
    assert accrued_interest(D("100000"), D("18"), date(2024, 5, 15), date(2024, 6, 1)) == D("800.00")
    # actual/365 across New Year: 17/365 + 14/366
    got = accrued_interest(D("100000"), D("20"), date(2023, 12, 15), date(2024, 1, 15), DayCount.ACTUAL_365)
    assert got == D("1696.53")


@pytest.mark.parametrize("method", list(Method))
@pytest.mark.parametrize("day_count", list(DayCount))
def test_partial_repayment_both_modes(method: Method, day_count: DayCount) -> None:
    t = LoanTerms(D("300000"), D("15"), 24, date(2024, 1, 15), method, day_count)
    base = build_schedule(t)
    on = date(2024, 6, 1)
    paid = [p for p in base.payments if p.date <= on]
    balance = paid[-1].balance
    accrued = accrued_interest(balance, D("15"), paid[-1].date, on, day_count)
    term = early_repayment(t, on=on, amount=D("100000"), mode=EarlyRepaymentMode.REDUCE_TERM)
    pay = early_repayment(t, on=on, amount=D("100000"), mode=EarlyRepaymentMode.REDUCE_PAYMENT)
    for s in (term, pay):
        first = s.payments[0]
        assert (first.number, first.date, first.interest) == (1, on, accrued)
        assert first.principal == D("100000") - accrued and first.payment == D("100000")
        assert sum((p.principal for p in s.payments), D(0)) == balance
        assert s.payments[-1].balance == 0
        assert all(p.balance >= 0 and p.payment == p.principal + p.interest + p.fee for p in s.payments)
        assert [p.number for p in s.payments] == list(range(1, len(s.payments) + 1))
        assert s.psk_amount < base.psk_amount
    remaining = len(base.payments) - len(paid)
    assert len(pay.payments) == remaining + 1
    assert len(term.payments) < remaining + 1
    assert [p.date for p in pay.payments[1:]] == [p.date for p in base.payments[len(paid) :]]
    if method is Method.ANNUITY:
        assert term.regular_payment == base.regular_payment
        assert pay.regular_payment == annuity_payment(first_balance(pay), D("15"), remaining)
        assert pay.regular_payment is not None and base.regular_payment is not None
        assert pay.regular_payment < base.regular_payment


def first_balance(s: object) -> Decimal:
    return s.payments[0].balance  # type: ignore[attr-defined, no-any-return]


def test_full_repayment_closes_the_loan() -> None:
    base = build_schedule(T)
    on = date(2024, 6, 1)
    last = [p for p in base.payments if p.date <= on][-1]
    due = last.balance + accrued_interest(last.balance, D("15"), last.date, on)
    s = early_repayment(T, on=on, amount=due, mode="reduce_term")
    assert len(s.payments) == 1 and s.payments[0].balance == 0 and s.payments[0].payment == due
    with pytest.raises(LoanMathError):
        early_repayment(T, on=on, amount=due + D("0.01"), mode="reduce_term")
    with pytest.raises(LoanMathError):
        early_repayment(T, on=on, amount=D("100.00"), mode="reduce_term")  # < accrued
    with pytest.raises(LoanMathError):
        early_repayment(T, on=date(2024, 1, 15), amount=D("1000"), mode="reduce_term")
    with pytest.raises(LoanMathError):
        early_repayment(T, on=date(2026, 1, 15), amount=D("1000"), mode="reduce_term")
    with pytest.raises(LoanMathError):
        early_repayment(T, on=on, amount=D("1000"), mode="reduce_everything")


def test_repayment_on_a_payment_date_has_no_accrued_interest() -> None:
    s = early_repayment(T, on=date(2024, 5, 15), amount=D("50000"), mode="reduce_payment")
    assert s.payments[0].interest == 0 and s.payments[0].principal == D("50000")


@pytest.mark.parametrize(
    ("amount", "rate", "issue", "extra"),
    [
        ("1000.00", "0.06", date(2015, 1, 28), "0.01"),  # hypothesis' example (tests/loans)
        ("120000.00", "12", date(2015, 1, 28), "10000.00"),  # 28 Feb -> 28 Mar: 28 days
        ("120000.00", "12", date(2014, 12, 28), "10000.00"),  # 28 Jan -> 28 Feb: 32 days
    ],
)
def test_repayment_on_a_payment_date_next_row_accrues_a_whole_month(
    amount: str, rate: str, issue: date, extra: str
) -> None:
    # The row after a payment date is a whole scheduled month on 30/360 (B*R/1200), as in
    # the contract and in servicing's recomputed rows; counting 30E/360 days with the
    # month-end rule (28 Feb = day 30) made it 0.02 instead of 0.03 in the first case.
    terms = LoanTerms(D(amount), D(rate), 12 if D(amount) > 1000 else 2, issue)
    first = build_schedule(terms).payments[0]
    s = early_repayment(terms, on=first.date, amount=D(extra), mode="reduce_term")
    assert (s.payments[0].principal, s.payments[0].interest) == (D(extra), 0)
    after = first.balance - D(extra)
    assert s.payments[1].interest == (after * D(rate) / 1200).quantize(D("0.01"), rounding=ROUND_HALF_UP)


@given(
    st.integers(1, 23),
    st.integers(0, 27),
    st.integers(1_000, 10_000_000).map(lambda k: D(k).scaleb(-2)),
    st.sampled_from(list(EarlyRepaymentMode)),
)
def test_early_repayment_invariants(month: int, day: int, cash: Decimal, mode: EarlyRepaymentMode) -> None:
    from datetime import timedelta

    from app.loanmath import add_months

    on = add_months(T.issue_date, month - 1) + timedelta(days=day + 1)
    paid = [p for p in build_schedule(T).payments if p.date <= on]
    balance, since = (paid[-1].balance, paid[-1].date) if paid else (T.amount, T.issue_date)
    accrued = accrued_interest(balance, T.annual_rate, since, on)
    cash = min(accrued + cash, balance + accrued)
    s = early_repayment(T, on=on, amount=cash, mode=mode)
    assert s.payments[0].interest == accrued
    assert s.payments[-1].balance == 0
    assert all(p.principal >= 0 and p.balance >= 0 for p in s.payments)
    assert [p.date for p in s.payments] == sorted(p.date for p in s.payments)
