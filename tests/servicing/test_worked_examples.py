"""Worked examples of 353-FZ servicing, every number checked by hand (the arithmetic is in
each docstring; 2025 is a common year, so a day at 24 % on P is ``P * 0.24 / 365``; amounts
round half up to the kopeck once, at the end)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from app.loanmath import EarlyRepaymentMode
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


def test_full_repayment_on_day_five() -> None:
    """100,000 at 24 % actual/365 issued 2025-03-03, repaid in full on 2025-03-08 (day 5).

    Interest to the day (art. 11): 100,000 * 0.24 * 5 / 365 = 120,000 / 365 = 328.767 -> 328.77.
    Payoff 100,000 + 328.77 = 100,328.77; brought with the application, it closes the loan."""
    terms = Terms(D("100000.00"), D(24), date(2025, 3, 3))
    schedule = schedule_of(terms, 12)
    on = date(2025, 3, 8)
    p = payoff(terms, schedule, History(), on=on)
    assert (p.principal, p.interest, p.penalty, p.fees, p.total) == (
        D("100000.00"), D("328.77"), D("0.00"), D("0.00"), D("100328.77"))
    history = History((Receipt(on, D("100328.77"), 1),), (EarlyRepaymentRequest(on, None, ref=1),))
    state = replay(terms, schedule, history, as_of=on)
    assert state.status == "closed" and state.closed_on == on
    split = state.receipts[0]
    assert (split.early_interest, split.early_principal, split.advance) == (D("328.77"), D("100000.00"), D("0.00"))
    assert state.paid_interest == D("328.77") and state.principal_outstanding == 0
    out = state.early_repayments[0]
    assert out.executed and out.closed and (out.interest, out.principal) == (D("328.77"), D("100000.00"))
    # the same money without an application is an advance for the next due dates, not a repayment
    advance = replay(terms, schedule, History(history.receipts), as_of=on)
    assert advance.status == "active" and advance.advance == D("100328.77")


def three_month_loan_after_first_row() -> tuple[Terms, tuple[Instalment, ...], tuple[Receipt, ...]]:
    """100,000 at 24 % for 3 months from 2025-01-10: A = 34,675.47; row 1 (Feb 10) is
    2,038.36 interest (100,000 * 0.24 * 31 / 365 = 2,038.356) + 32,637.11 principal, paid on
    its date, leaving 67,362.89."""
    terms = Terms(D("100000.00"), D(24), date(2025, 1, 10))
    schedule = schedule_of(terms, 3)
    assert (schedule[0].principal, schedule[0].interest) == (D("32637.11"), D("2038.36"))
    return terms, schedule, (Receipt(date(2025, 2, 10), D("34675.47"), 1),)


EARLY_ON = date(2025, 2, 20)


def early_state(mode: EarlyRepaymentMode):  # type: ignore[no-untyped-def]
    terms, schedule, paid = three_month_loan_after_first_row()
    history = History(
        (*paid, Receipt(EARLY_ON, D("30000.00"), 2)), (EarlyRepaymentRequest(EARLY_ON, D("30000.00"), mode, ref=1),)
    )
    return replay(terms, schedule, history, as_of=EARLY_ON)


@pytest.mark.parametrize("mode", list(EarlyRepaymentMode))
def test_partial_early_repayment_off_a_due_date_pays_interest_to_the_day(mode: EarlyRepaymentMode) -> None:
    """30,000 on 2025-02-20, 10 days after a due date: interest 67,362.89 * 0.24 * 10 / 365
    = 442.934 -> 442.93, principal 30,000 - 442.93 = 29,557.07, balance 37,805.82."""
    state = early_state(mode)
    out = state.early_repayments[0]
    assert out.executed and not out.closed and out.revision == 1
    assert (out.interest, out.principal) == (D("442.93"), D("29557.07"))
    assert state.principal_outstanding == D("37805.82")
    assert state.revisions[-1].reason == "early_repayment" and state.revisions[-1].psk_percent is not None


def test_partial_early_repayment_reduce_term() -> None:
    """Reduce term keeps A = 34,675.47. Mar 10: interest from Feb 20 (18 days) 37,805.82 * 0.24
    * 18 / 365 = 447.455 -> 447.46, principal 34,675.47 - 447.46 = 34,228.01, balance 3,577.81.
    Apr 10: interest 3,577.81 * 0.24 * 31 / 365 = 72.929 -> 72.93, principal 3,577.81,
    payment 3,650.74."""
    rows = [i for i in early_state(EarlyRepaymentMode.REDUCE_TERM).instalments if i.status != "paid"]
    assert [(i.due_date, i.principal, i.interest, i.payment) for i in rows] == [
        (date(2025, 3, 10), D("34228.01"), D("447.46"), D("34675.47")),
        (date(2025, 4, 10), D("3577.81"), D("72.93"), D("3650.74")),
    ]


def test_partial_early_repayment_reduce_payment() -> None:
    """Reduce payment: A' = 37,805.82 * 0.02 / (1 - 1.02^-2) = 37,805.82 * 0.02 * 1.0404 / 0.0404
    = 19,471.869 -> 19,471.87. Mar 10: 447.46 interest (as above), principal 19,024.41, balance
    18,781.41. Apr 10: 18,781.41 * 0.24 * 31 / 365 = 382.832 -> 382.83, principal 18,781.41,
    payment 19,164.24 (the last row clears the balance)."""
    rows = [i for i in early_state(EarlyRepaymentMode.REDUCE_PAYMENT).instalments if i.status != "paid"]
    assert [(i.due_date, i.principal, i.interest, i.payment) for i in rows] == [
        (date(2025, 3, 10), D("19024.41"), D("447.46"), D("19471.87")),
        (date(2025, 4, 10), D("18781.41"), D("382.83"), D("19164.24")),
    ]


def one_month_loan(rate: D, basis: PenaltyBasis) -> tuple[Terms, tuple[Instalment, ...]]:
    """100,000 at 24 % from 2025-01-15, one instalment on 2025-02-15: 2,038.36 interest
    (31 days) + 100,000 = 102,038.36."""
    terms = Terms(D("100000.00"), D(24), date(2025, 1, 15), penalty_rate=rate, penalty_basis=basis)
    return terms, schedule_of(terms, 1)


FORTY_DAYS = date(2025, 3, 27)  # overdue from Feb 16; on Mar 27 40 days past due


def test_penalty_forty_days_annual_cap() -> None:
    """20 % a year (the cap while interest keeps accruing): 102,038.36 * 0.20 * 40 / 365
    = 2,236.457 -> 2,236.46. Interest keeps accruing on the overdue principal:
    100,000 * 0.24 * 40 / 365 = 2,630.137 -> 2,630.14."""
    terms, schedule = one_month_loan(D(20), PenaltyBasis.ANNUAL)
    state = replay(terms, schedule, History(), as_of=FORTY_DAYS)
    assert state.days_past_due == 40 and state.bucket == "31-60"
    assert state.penalty_accrued == D("2236.46")
    assert state.accrued_interest == D("2630.14")
    assert payoff(terms, schedule, History(), on=FORTY_DAYS).total == D("106904.96")  # 102,038.36 + 2,630.14 + 2,236.46


def test_penalty_forty_days_daily_cap() -> None:
    """0.1 % a day (the cap when no interest accrues on the overdue amount): 102,038.36 * 0.001
    * 40 = 4,081.534 -> 4,081.53; no interest accrues on the overdue principal."""
    terms, schedule = one_month_loan(D("0.1"), PenaltyBasis.DAILY)
    state = replay(terms, schedule, History(), as_of=FORTY_DAYS)
    assert state.days_past_due == 40
    assert state.penalty_accrued == D("4081.53")
    assert state.accrued_interest == D("0.00")
    assert payoff(terms, schedule, History(), on=FORTY_DAYS).total == D("106119.89")  # 102,038.36 + 4,081.53


def test_payment_covering_only_overdue_interest() -> None:
    """2,038.36 on Feb 25 pays the overdue interest and nothing else (art. 5 part 20, 1st).
    Daily 0.1 %: 10 days (Feb 15 .. 24) on 102,038.36 = 1,020.384, then 30 days on 100,000
    = 3,000; penalty on Mar 27 = 4,020.384 -> 4,020.38; still 40 days past due."""
    terms, schedule = one_month_loan(D("0.1"), PenaltyBasis.DAILY)
    history = History((Receipt(date(2025, 2, 25), D("2038.36"), 1),))
    state = replay(terms, schedule, history, as_of=FORTY_DAYS)
    split = state.receipts[0]
    assert split.overdue_interest == D("2038.36")
    assert split.overdue_principal == split.interest == split.principal == split.penalty == split.fees == 0
    assert split.advance == 0
    assert (state.overdue_interest, state.overdue_principal) == (D("0.00"), D("100000.00"))
    assert state.penalty_accrued == D("4020.38") and state.days_past_due == 40


def test_legal_order_for_every_size_of_payment() -> None:
    """3 months, 100,000 at 24 %, a 100.00 fee a row, penalty 20 % a year. Row 1 (Feb 15:
    2,038.36 + 32,637.11 + 100) unpaid; on Mar 15 row 2 falls due and a payment X arrives.
    Owed, in the order of art. 5 part 20 as amended by 607-FZ: overdue interest 2,038.36;
    overdue principal 32,637.11; current interest on the whole 100,000 (Feb 15 -> Mar 15,
    28 days) 24,000 * 28 / 365 = 1,841.096 -> 1,841.10; current principal 33,435.25; the
    penalty on the overdue amount (row 1's principal and interest, 34,675.47) for 28 days,
    34,675.47 * 0.20 * 28 / 365 = 532.007 -> 532.01; fees 200.00. Each X fills them in that
    order; beyond them it is an advance."""
    base = Terms(D("100000.00"), D(24), date(2025, 1, 15), penalty_rate=D(20))
    schedule = tuple(
        Instalment(i.number, i.due_date, i.principal, i.interest, D("100.00")) for i in schedule_of(base, 3)
    )
    owed = [("overdue_interest", D("2038.36")), ("overdue_principal", D("32637.11")), ("interest", D("1841.10")),
            ("principal", D("33435.25")), ("penalty", D("532.01")), ("fees", D("200.00"))]
    edges = [D(0)]
    for _, amount in owed:
        edges.append(edges[-1] + amount)
    sizes = sorted({e + d for e in edges for d in (D("-0.01"), D(0), D("0.01"))} - {D("-0.01"), D(0)})
    for x in sizes:
        history = History((Receipt(date(2025, 3, 15), x, 1),))
        split = replay(base, schedule, history, as_of=date(2025, 3, 15)).receipts[0]
        left = x
        for part, amount in owed:
            expect = min(left, amount)
            assert getattr(split, part) == expect, (x, part)
            left -= expect
        assert split.advance == left and split.early_principal == split.early_interest == 0


def test_three_month_holiday() -> None:
    """100,000 at 24 % for 6 months from 2025-01-15 (A = 17,852.58); holiday from 2025-02-01
    for 3 months (ends May 1, art. 6.1-2). Rows of Feb 15, Mar 15, Apr 15 move after the term,
    to Aug 15, Sep 15, Oct 15. Interest keeps accruing: Jan 15 -> May 1, 106 days,
    24,000 * 106 / 365 = 6,969.863 -> 6,969.86, deferred to the Aug 15 row. The May 15 row
    accrues from May 1: 24,000 * 14 / 365 = 920.548 -> 920.55. Paying every row on its date
    closes the loan on Oct 15; the Aug 15 row then carries 6,969.86 plus its own month on the
    deferred principal 15,814.22 + 16,302.64 + 16,468.88 = 48,585.74: 48,585.74 * 0.24 * 31 /
    365 = 990.350 -> 990.35, interest 7,960.21."""
    terms = Terms(D("100000.00"), D(24), date(2025, 1, 15))
    schedule = schedule_of(terms, 6)
    holiday = History(holidays=(Holiday(date(2025, 2, 1), 3, ref=1),))
    during = replay(terms, schedule, holiday, as_of=date(2025, 4, 20))
    assert during.days_past_due == 0 and during.overdue_total == 0 and during.next_due_date == date(2025, 5, 15)
    after = replay(terms, schedule, holiday, as_of=date(2025, 5, 2))
    assert after.deferred_interest == D("6969.86")
    rows = after.instalments
    assert [i.due_date for i in rows] == [date(2025, m, 15) for m in range(5, 11)]
    assert [i.deferred for i in rows] == [False, False, False, True, True, True]
    assert rows[0].interest == D("920.55")
    # pay every row of the schedule in force on its date
    receipts: list[Receipt] = []
    state = after
    for n in range(6):
        row = state.instalments[n]
        receipts.append(Receipt(row.due_date, row.payment, n + 1))
        state = replay(terms, schedule, History(tuple(receipts), holidays=holiday.holidays), as_of=row.due_date)
    assert state.status == "closed" and state.closed_on == date(2025, 10, 15) and state.advance == 0
    aug = state.instalments[3]
    assert aug.interest == D("7960.21")
