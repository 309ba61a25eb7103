"""Engine bugs found by a test-writing pass, each held by the test that reproduced it.

Loans are actual/365 unless a test says otherwise; 2025 is a common year, so a day of
interest on P at 24 % is ``P * 0.24 / 365``.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D

import pytest

from app.loanmath import DayCount, EarlyRepaymentMode, LoanMathError
from app.servicing import (
    EarlyRepaymentRequest,
    History,
    Holiday,
    Instalment,
    PenaltyBasis,
    Receipt,
    Terms,
    payoff,
    replay,
)
from tests.servicing.strategies import schedule_of

TERM = EarlyRepaymentMode.REDUCE_TERM
PAYMENT = EarlyRepaymentMode.REDUCE_PAYMENT


def six_month_loan() -> tuple[Terms, tuple[Instalment, ...]]:
    """100,000 at 24 % for 6 months from 2025-01-15; A = 17,852.58 (rows due on the 15th)."""
    terms = Terms(D("100000.00"), D(24), date(2025, 1, 15))
    return terms, schedule_of(terms, 6)


# -- 1. penalty caps (353-FZ art. 5 part 21) -------------------------------------------------


@pytest.mark.parametrize(
    ("rate", "basis", "cap"),
    [(D("20.01"), PenaltyBasis.ANNUAL, "20"), (D("0.11"), PenaltyBasis.DAILY, "0.1")],
)
def test_penalty_above_the_cap_is_refused(rate: D, basis: PenaltyBasis, cap: str) -> None:
    terms = Terms(D("100000.00"), D(24), date(2025, 1, 15), penalty_rate=rate, penalty_basis=basis)
    schedule = schedule_of(Terms(D("100000.00"), D(24), date(2025, 1, 15)), 6)
    with pytest.raises(LoanMathError, match=rf"penalty_rate .*{cap}"):
        replay(terms, schedule, History(), as_of=date(2025, 1, 15))


@pytest.mark.parametrize(("rate", "basis"), [(D(20), PenaltyBasis.ANNUAL), (D("0.1"), PenaltyBasis.DAILY)])
def test_penalty_at_the_cap_is_accepted(rate: D, basis: PenaltyBasis) -> None:
    terms = Terms(D("100000.00"), D(24), date(2025, 1, 15), penalty_rate=rate, penalty_basis=basis)
    replay(terms, schedule_of(terms, 6), History(), as_of=date(2025, 1, 15))


# -- 2. payoff keeps the interest a holiday deferred ------------------------------------------

HOLIDAY = Holiday(date(2025, 2, 1), 3)  # rows of Feb 15, Mar 15, Apr 15 deferred; ends May 1


def test_payoff_includes_holiday_interest() -> None:
    """Interest Jan 15 -> May 1 (106 days) on 100,000: 24,000 * 106 / 365 = 6,969.863 -> 6,969.86,
    deferred to the first deferred row. On May 10, 9 more days: 24,000 * 9 / 365 = 591.781
    -> 591.78. Payoff = 100,000 + 6,969.86 + 591.78 = 107,561.64."""
    terms, schedule = six_month_loan()
    history = History(holidays=(HOLIDAY,))
    p = payoff(terms, schedule, history, on=date(2025, 5, 10))
    assert (p.principal, p.interest, p.total) == (D("100000.00"), D("7561.64"), D("107561.64"))


def test_full_early_repayment_after_a_holiday_pays_the_deferred_interest() -> None:
    terms, schedule = six_month_loan()
    on = date(2025, 5, 10)
    # the old payoff (principal + current interest only) no longer closes the loan
    short = History(receipts=(Receipt(on, D("100591.78"), 1),), early_repayments=(EarlyRepaymentRequest(on, None),),
                    holidays=(HOLIDAY,))
    state = replay(terms, schedule, short, as_of=on)
    assert state.status != "closed"
    full = History(receipts=(Receipt(on, D("107561.64"), 1),), early_repayments=(EarlyRepaymentRequest(on, None),),
                   holidays=(HOLIDAY,))
    state = replay(terms, schedule, full, as_of=on)
    assert state.status == "closed" and state.closed_on == on
    assert state.early_repayments[0].interest == D("7561.64")
    assert state.paid_interest == D("7561.64") and state.advance == 0


# -- 3. and 4. early repayment in reduce-term mode with a holiday ------------------------------


def test_reduce_term_during_a_holiday_then_the_holiday_ends() -> None:
    """Mar 1: 50,000 applied. Interest Jan 15 -> Mar 1 (45 days) on 100,000: 24,000 * 45 / 365
    = 2,958.904 -> 2,958.90 paid first, principal 47,041.10, 52,958.90 left. Mar 1 -> May 1 (61
    days) on 52,958.90: 52,958.90 * 0.24 * 61 / 365 = 2,124.160 -> 2,124.16, deferred after the term."""
    terms, schedule = six_month_loan()
    history = History(
        receipts=(Receipt(date(2025, 3, 1), D("50000.00"), 1),),
        early_repayments=(EarlyRepaymentRequest(date(2025, 3, 1), D("50000.00"), TERM),),
        holidays=(HOLIDAY,),
    )
    state = replay(terms, schedule, history, as_of=date(2025, 5, 2))  # used to raise IndexError
    out = state.early_repayments[0]
    assert (out.interest, out.principal) == (D("2958.90"), D("47041.10"))
    assert state.principal_outstanding == D("52958.90")
    assert state.deferred_interest == D("2124.16")
    p = payoff(terms, schedule, history, on=date(2025, 5, 2))
    # + May 1 -> May 2, one day on 52,958.90: 12,710.136 / 365 = 34.822 -> 34.82
    assert p.interest == D("2124.16") + D("34.82")
    assert sum(i.interest for i in state.instalments if i.deferred) >= D("2124.16")


def test_reduce_term_after_a_holiday_keeps_the_deferred_interest() -> None:
    """May 10: 5,000 applied, less than the interest to the day (6,969.86 deferred + 591.78
    current = 7,561.64): the oldest (deferred) interest is paid first, 1,969.86 of it stays
    deferred, the current 591.78 is carried to the next due date; no principal is repaid."""
    terms, schedule = six_month_loan()
    on = date(2025, 5, 10)
    history = History(
        receipts=(Receipt(on, D("5000.00"), 1),),
        early_repayments=(EarlyRepaymentRequest(on, D("5000.00"), TERM),),
        holidays=(HOLIDAY,),
    )
    state = replay(terms, schedule, history, as_of=on)
    assert state.early_repayments[0].interest == D("5000.00")
    assert state.deferred_interest == D("1969.86")
    assert state.accrued_interest == D("591.78")
    assert payoff(terms, schedule, history, on=on).interest == D("2561.64")
    # the deferred interest is still on the schedule in force (paid after the term)
    assert sum(i.interest for i in state.instalments if i.status == "future") > D("1969.86")


def test_reduce_term_after_a_holiday_paying_the_schedule_pays_everything() -> None:
    """After a 30,000 reduce-term repayment on May 10, paying every row of the schedule in force
    on its date closes the loan with nothing left and no advance."""
    terms, schedule = six_month_loan()
    on = date(2025, 5, 10)
    history = History(
        receipts=(Receipt(on, D("30000.00"), 1),),
        early_repayments=(EarlyRepaymentRequest(on, D("30000.00"), TERM),),
        holidays=(HOLIDAY,),
    )
    state = replay(terms, schedule, history, as_of=on)
    assert state.early_repayments[0].interest == D("7561.64")  # deferred + current, to the day
    receipts = list(history.receipts)
    for n, row in enumerate(state.instalments, start=2):
        receipts.append(Receipt(row.due_date, row.payment, n))
    final = replay(terms, schedule, History(tuple(receipts), history.early_repayments, history.holidays),
                   as_of=state.instalments[-1].due_date)
    assert final.status == "closed" and final.advance == 0


# -- 5. overlapping holidays are refused ------------------------------------------------------


def test_overlapping_holidays_are_refused() -> None:
    terms, schedule = six_month_loan()
    history = History(holidays=(HOLIDAY, Holiday(date(2025, 4, 1), 2, ref=2)))
    with pytest.raises(LoanMathError, match="overlap"):
        replay(terms, schedule, history, as_of=date(2025, 6, 1))


def test_back_to_back_holidays_are_accepted() -> None:
    terms, schedule = six_month_loan()
    history = History(holidays=(HOLIDAY, Holiday(date(2025, 5, 1), 1, ref=2)))
    replay(terms, schedule, history, as_of=date(2025, 6, 1))


# -- 6. first-payment default after an early repayment ----------------------------------------


@pytest.mark.parametrize("mode", [TERM, PAYMENT])
def test_partial_early_repayment_before_the_first_due_date_is_no_fpd(mode: EarlyRepaymentMode) -> None:
    terms, schedule = six_month_loan()
    history = History(
        receipts=(Receipt(date(2025, 1, 25), D("20000.00"), 1),),
        early_repayments=(EarlyRepaymentRequest(date(2025, 1, 25), D("20000.00"), mode),),
    )
    first = replay(terms, schedule, history, as_of=date(2025, 1, 25)).instalments[0]
    history = History((*history.receipts, Receipt(first.due_date, first.payment, 2)), history.early_repayments)
    state = replay(terms, schedule, history, as_of=date(2025, 3, 20))  # first due + 33 days
    assert state.instalments[0].settled_on == date(2025, 2, 15)
    assert not state.first_payment_default


def test_loan_closed_before_its_first_due_date_is_never_fpd() -> None:
    terms, schedule = six_month_loan()
    on = date(2025, 1, 20)  # 5 days: 24,000 * 5 / 365 = 328.767 -> 328.77
    history = History(receipts=(Receipt(on, D("100328.77"), 1),), early_repayments=(EarlyRepaymentRequest(on, None),))
    state = replay(terms, schedule, history, as_of=date(2025, 4, 1))
    assert state.status == "closed"
    assert not state.first_payment_default


def test_unpaid_first_row_after_a_partial_early_repayment_is_fpd() -> None:
    terms, schedule = six_month_loan()
    history = History(
        receipts=(Receipt(date(2025, 1, 25), D("20000.00"), 1),),
        early_repayments=(EarlyRepaymentRequest(date(2025, 1, 25), D("20000.00"), PAYMENT),),
    )
    assert not replay(terms, schedule, history, as_of=date(2025, 3, 16)).first_payment_default
    assert replay(terms, schedule, history, as_of=date(2025, 3, 17)).first_payment_default


# -- 7. 30/360: a receipt that splits a whole month --------------------------------------------


def test_thirty_360_paying_one_day_early_pays_the_schedule() -> None:
    """Issue 2025-01-28 on 30/360: Jan 28 -> Feb 28 is a whole month (30 days, balance * 24 / 1200),
    though 30E/360 counts it 32 (Feb 28 is a month end, day 30). A receipt on Feb 27 splits it
    into 30E/360 days 29 + 3 = 32: the old engine charged 32 days."""
    terms = Terms(D("100000.00"), D(24), date(2025, 1, 28), day_count=DayCount.THIRTY_360)
    schedule = schedule_of(terms, 3)
    assert schedule[0].interest == D("2000.00")  # 100,000 * 24 / 1200
    receipts = tuple(
        Receipt(i.due_date - timedelta(days=1), i.principal + i.interest, ref=i.number) for i in schedule
    )
    state = replay(terms, schedule, History(receipts), as_of=schedule[-1].due_date)
    assert state.status == "closed" and state.advance == 0
    assert [i.interest for i in state.instalments] == [i.interest for i in schedule]
    assert state.paid_interest == sum(i.interest for i in schedule)


# -- 8. interest accrued after maturity -------------------------------------------------------


def test_interest_after_maturity_is_collected() -> None:
    """One instalment (102,038.36) due 2025-02-15, unpaid. Annual 20 % penalty. On Mar 27 (40
    days overdue): interest after maturity 24,000 * 40 / 365 = 2,630.137 -> 2,630.14; penalty
    102,038.36 * 0.20 * 40 / 365 = 2,236.457 -> 2,236.46; payoff 100,000 + 2,038.36 + 2,630.14
    + 2,236.46 = 106,904.96. Paying it (no application needed: all of it is due) closes the loan."""
    terms = Terms(D("100000.00"), D(24), date(2025, 1, 15), penalty_rate=D(20))
    schedule = schedule_of(terms, 1)
    on = date(2025, 3, 27)
    p = payoff(terms, schedule, History(), on=on)
    assert (p.interest, p.penalty, p.total) == (D("4668.50"), D("2236.46"), D("106904.96"))
    state = replay(terms, schedule, History((Receipt(on, D("106904.96"), 1),)), as_of=on)
    assert state.status == "closed" and state.advance == 0
    assert state.paid_interest == D("4668.50") and state.paid_penalty == D("2236.46")
    split = state.receipts[0]
    assert (split.overdue_interest, split.overdue_principal, split.interest, split.penalty) == (
        D("2038.36"), D("100000.00"), D("2630.14"), D("2236.46"))


def test_interest_after_maturity_is_paid_before_the_penalty() -> None:
    terms = Terms(D("100000.00"), D(24), date(2025, 1, 15), penalty_rate=D(20))
    schedule = schedule_of(terms, 1)
    on = date(2025, 3, 27)
    state = replay(terms, schedule, History((Receipt(on, D("103000.00"), 1),)), as_of=on)
    split = state.receipts[0]
    # 2,038.36 + 100,000 overdue, then 961.64 of the 2,630.14 interest after maturity
    assert (split.interest, split.penalty, split.advance) == (D("961.64"), D("0.00"), D("0.00"))
    assert state.accrued_interest == D("1668.50") and state.status == "active"
    assert payoff(terms, schedule, History((Receipt(on, D("103000.00"), 1),)), on=on).interest == D("1668.50")


# -- 9. a row with nothing to pay is settled on its date --------------------------------------


def test_zero_first_row_is_settled_and_not_fpd() -> None:
    terms = Terms(D("100000.00"), D(0), date(2025, 1, 15))
    schedule = (
        Instalment(1, date(2025, 2, 15), D(0), D(0)),
        Instalment(2, date(2025, 3, 15), D("100000.00"), D(0)),
    )
    history = History((Receipt(date(2025, 3, 15), D("100000.00"), 1),))
    state = replay(terms, schedule, history, as_of=date(2025, 3, 20))
    assert state.instalments[0].settled_on == date(2025, 2, 15)
    assert state.instalments[0].status == "paid"
    assert not state.first_payment_default
    assert state.status == "closed"


# -- 10. an application that applied nothing is not "executed" ---------------------------------


def test_application_without_money_is_not_executed() -> None:
    terms, schedule = six_month_loan()
    history = History(early_repayments=(EarlyRepaymentRequest(date(2025, 1, 25), None, ref=7),))
    out = replay(terms, schedule, history, as_of=date(2025, 2, 1)).early_repayments[0]
    assert not out.executed and out.principal == 0 and out.interest == 0
    assert out.note
