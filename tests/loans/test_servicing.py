"""Servicing engine: allocation order, delinquency, early repayment, conservation."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from app.loanmath import (
    DayCount,
    EarlyRepaymentMode,
    LoanMathError,
    LoanTerms,
    Method,
    build_schedule,
    early_repayment,
)
from app.loans.servicing import (
    Instalment,
    LoanState,
    Receipt,
    allocate_payment,
    dpd_bucket,
    loan_state,
)

D = Decimal
ZERO = D("0.00")
T = LoanTerms(D("120000.00"), D("12"), 12, date(2024, 1, 15))
PROPS = settings(max_examples=60, deadline=None, derandomize=True)


def schedule(terms: LoanTerms) -> list[Instalment]:
    return [
        Instalment(p.number, p.date, p.principal, p.interest, p.fee) for p in build_schedule(terms).payments
    ]


def state(terms: LoanTerms, receipts: list[Receipt], as_of: date, **kw: Any) -> LoanState:
    return loan_state(
        amount=terms.amount,
        annual_rate=terms.annual_rate,
        issue_date=terms.issue_date,
        day_count=terms.day_count,
        instalments=schedule(terms),
        receipts=receipts,
        as_of=as_of,
        method=terms.method,
        **kw,
    )


def days(d: date, n: int) -> date:
    return d + timedelta(days=n)


def balance_runs_to_zero(s: LoanState, amount: Decimal) -> bool:
    """Principal of the schedule in force plus early repayments is exactly the amount."""
    return sum((r.principal for r in s.instalments), ZERO) + s.early_principal == amount


# --- paying on time -------------------------------------------------------------------------


@pytest.mark.parametrize("method", list(Method))
@pytest.mark.parametrize("day_count", list(DayCount))
def test_paying_every_instalment_on_its_due_date(method: Method, day_count: DayCount) -> None:
    terms = LoanTerms(
        D("250000.00"), D("17.9"), 12, date(2024, 1, 31), method, day_count, monthly_fee=D("99.00")
    )
    rows = build_schedule(terms).payments
    receipts = [Receipt(p.date, p.payment) for p in rows]
    for k, p in enumerate(rows):
        for as_of in (p.date, days(p.date, 1)):
            s = state(terms, receipts, as_of)
            assert s.days_past_due == 0 and s.bucket == "current" and s.overdue_total == 0
            assert not s.first_payment_default and s.early_repayments == () and s.overpaid == 0
            assert [r.status for r in s.instalments[: k + 1]] == ["paid"] * (k + 1)
            assert s.paid_total == sum((r.payment for r in rows[: k + 1]), ZERO)
            assert s.outstanding_principal == p.balance
    last = state(terms, receipts, rows[-1].date)
    assert (last.status, last.closed_on, last.next_due_date) == ("closed", rows[-1].date, None)
    assert last.paid_interest == sum((p.interest for p in rows), ZERO)
    assert last.paid_fee == D("99.00") * 12 and last.paid_principal == terms.amount
    before = state(terms, receipts, days(rows[-1].date, -1))
    assert before.status == "active" and before.closed_on is None
    assert before.next_due_date == rows[-1].date and before.next_due_amount == rows[-1].payment
    assert before.instalments[-1].status == "future"


# --- delinquency ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("late", "bucket", "status"),
    [
        (0, "current", "active"),
        (1, "1-30", "active"),
        (30, "1-30", "active"),
        (31, "31-60", "active"),
        (60, "31-60", "active"),
        (61, "61-90", "active"),
        (90, "61-90", "active"),
        (91, "90+", "problem"),
        (400, "90+", "problem"),
    ],
)
def test_paying_nothing_moves_through_the_buckets(late: int, bucket: str, status: str) -> None:
    first = schedule(T)[0].due_date
    s = state(T, [], days(first, late))
    assert (s.days_past_due, s.bucket, s.status) == (late, bucket, status)
    assert dpd_bucket(late) == bucket
    assert s.instalments[0].status == ("due" if late == 0 else "overdue")


def test_overdue_amounts_and_next_due() -> None:
    rows = schedule(T)
    as_of = days(rows[2].due_date, 5)  # three instalments past due
    s = state(T, [], as_of)
    assert s.days_past_due == (as_of - rows[0].due_date).days
    assert s.overdue_interest == sum((r.interest for r in rows[:3]), ZERO)
    assert s.overdue_principal == sum((r.principal for r in rows[:3]), ZERO)
    assert s.overdue_total == s.overdue_interest + s.overdue_principal
    assert [r.status for r in s.instalments[:5]] == ["overdue"] * 3 + ["future"] * 2
    assert s.next_due_date == rows[3].due_date and s.next_due_amount == rows[3].principal + rows[3].interest


@pytest.mark.parametrize(
    ("paid_after", "as_of_after", "fpd"),
    [
        (None, 29, False),  # 29 days late: not yet
        (None, 30, True),  # still unpaid at the end of due + 30
        (30, 400, False),  # paid on due + 30: in time
        (31, 400, True),  # paid on due + 31: too late, stays true
        (31, 30, True),  # as of due + 30 the payment of due + 31 is not known yet
        (29, 29, False),
    ],
)
def test_first_payment_default_boundary(paid_after: int | None, as_of_after: int, fpd: bool) -> None:
    first = schedule(T)[0]
    # enough for instalment 1 and the interest of instalment 2 (also past due by then)
    receipts = [] if paid_after is None else [Receipt(days(first.due_date, paid_after), D("12000.00"))]
    s = state(T, receipts, days(first.due_date, as_of_after))
    assert s.first_payment_default is fpd


def test_fpd_is_about_the_first_instalment_only() -> None:
    rows = schedule(T)
    receipts = [Receipt(rows[0].due_date, rows[0].principal + rows[0].interest)]
    s = state(T, receipts, days(rows[1].due_date, 45))
    assert s.days_past_due == 45 and not s.first_payment_default


# --- allocation order -----------------------------------------------------------------------


def test_partial_payment_covers_interest_before_principal() -> None:
    first = schedule(T)[0]
    s = state(T, [Receipt(days(first.due_date, -3), D("700.00"))], days(first.due_date, -1))
    row = s.instalments[0]
    assert (row.paid_interest, row.paid_principal, row.status) == (D("700.00"), ZERO, "partly_paid")
    more = D("1000.00")
    s = state(T, [Receipt(days(first.due_date, -3), first.interest + more)], first.due_date)
    row = s.instalments[0]
    assert (row.paid_interest, row.paid_principal, row.status) == (first.interest, more, "due")
    assert s.days_past_due == 0 and s.next_due_amount == first.principal - more
    s = state(T, [Receipt(days(first.due_date, -3), first.interest + more)], days(first.due_date, 1))
    assert s.instalments[0].status == "overdue" and s.overdue_principal == first.principal - more
    assert s.overdue_interest == 0 and s.days_past_due == 1


def test_overdue_interest_of_all_rows_before_any_overdue_principal() -> None:
    rows = schedule(T)
    cash = rows[0].interest + rows[1].interest + D("5.00")
    s = state(T, [Receipt(days(rows[1].due_date, 3), cash)], days(rows[1].due_date, 3))
    a, b = s.instalments[:2]
    assert (a.paid_interest, b.paid_interest) == (rows[0].interest, rows[1].interest)
    assert (a.paid_principal, b.paid_principal) == (D("5.00"), ZERO)
    alloc = s.allocations[0]
    assert alloc.overdue_interest == rows[0].interest + rows[1].interest
    assert alloc.overdue_principal == D("5.00") and alloc.interest == 0


def test_late_payment_clears_the_oldest_and_dpd_drops_to_the_next() -> None:
    rows = schedule(T)
    as_of = days(rows[2].due_date, 10)
    assert state(T, [], as_of).days_past_due == (as_of - rows[0].due_date).days
    one = Receipt(days(rows[2].due_date, 4), rows[0].principal + rows[0].interest)
    s = state(T, [one], as_of)
    # interest goes to every overdue row first, so one instalment's worth does not clear row 1 ...
    assert s.instalments[0].status == "overdue"
    assert s.overdue_interest == 0
    # ... two instalments' worth plus row 3's interest clears rows 1 and 2; dpd drops to row 3
    two = Receipt(one.paid_on, 2 * (rows[0].principal + rows[0].interest) + rows[2].interest)
    s = state(T, [two], as_of)
    assert [r.status for r in s.instalments[:3]] == ["paid", "paid", "overdue"]
    assert s.days_past_due == (as_of - rows[2].due_date).days == 10
    assert s.instalments[0].settled_on == one.paid_on and s.overdue_interest == 0
    assert s.overdue_principal == rows[2].principal


def test_paying_the_current_instalment_early_then_paying_again_pays_the_next() -> None:
    rows = schedule(T)
    inst = rows[0].principal + rows[0].interest
    receipts = [Receipt(days(rows[0].due_date, -10), inst), Receipt(days(rows[0].due_date, -5), D("100.00"))]
    s = state(T, receipts, days(rows[0].due_date, -1))
    assert s.instalments[0].status == "paid" and s.instalments[1].paid_interest == D("100.00")
    assert s.early_repayments == ()


# --- early repayment ------------------------------------------------------------------------


def test_overpayment_shortens_the_term_and_keeps_the_instalment() -> None:
    rows = schedule(T)
    receipts = [Receipt(r.due_date, r.principal + r.interest) for r in rows[:3]]
    receipts.append(Receipt(days(rows[3].due_date, -6), rows[3].principal + rows[3].interest + D("50000.00")))
    s = state(T, receipts, days(rows[3].due_date, -6))
    (er,) = s.early_repayments
    assert (er.on, er.principal, er.after_instalment, er.mode) == (
        receipts[-1].paid_on,
        D("50000.00"),
        4,
        EarlyRepaymentMode.REDUCE_TERM,
    )
    assert len(s.instalments) < len(rows) and er.instalments_left == len(s.instalments) - 4
    assert s.instalments[3].status == "paid"  # the current instalment is paid in full first
    new = s.instalments[4:]
    assert all(r.payment == rows[0].principal + rows[0].interest for r in new[:-1])
    assert new[-1].payment < rows[0].principal + rows[0].interest
    assert [r.due_date for r in new] == [r.due_date for r in rows[4 : 4 + len(new)]]
    balance = er.balance_after
    for r in new:  # interest is a whole month on the running balance; it ends at exactly 0
        assert r.interest == (balance * D("12") / 1200).quantize(D("0.01"))
        balance -= r.principal
    assert balance == 0 and balance_runs_to_zero(s, T.amount)
    assert s.outstanding_principal == er.balance_after
    # paying the new schedule on time closes the loan on its (earlier) last date
    receipts += [Receipt(r.due_date, r.payment) for r in new]
    done = state(T, receipts, new[-1].due_date)
    assert done.status == "closed" and done.closed_on == new[-1].due_date < rows[-1].due_date


def test_reduce_payment_keeps_the_dates_and_lowers_the_instalment() -> None:
    rows = schedule(T)
    pay = Receipt(rows[0].due_date, rows[0].principal + rows[0].interest + D("30000.00"))
    s = state(T, [pay], rows[0].due_date, early_mode="reduce_payment")
    assert len(s.instalments) == len(rows) and s.early_repayments[0].instalments_left == 11
    assert all(r.payment < rows[1].principal + rows[1].interest for r in s.instalments[1:])
    assert balance_runs_to_zero(s, T.amount)


def test_repaying_everything_closes_and_reports_the_surplus() -> None:
    rows = schedule(T)
    when = days(rows[1].due_date, 7)  # row 2 is 7 days late
    owed = (
        rows[0].principal + rows[0].interest + sum((r.principal for r in rows[1:]), ZERO) + rows[1].interest
    )
    owed += rows[2].interest  # the current instalment (row 3) is paid in full, interest included
    s = state(
        T,
        [Receipt(rows[0].due_date, rows[0].principal + rows[0].interest), Receipt(when, D("200000.00"))],
        when,
    )
    assert s.status == "closed" and s.closed_on == when and s.outstanding_principal == 0
    assert s.overpaid == D("200000.00") + rows[0].principal + rows[0].interest - owed
    assert s.paid_total + s.overpaid == s.received_total
    assert len(s.instalments) == 3 and s.next_due_date is None
    later = state(
        T,
        [
            Receipt(rows[0].due_date, D("1.00")),
            Receipt(when, D("200000.00")),
            Receipt(days(when, 9), D("5.00")),
        ],
        days(when, 9),
    )
    assert later.allocations[-1].overpaid == D("5.00")


def test_fee_only_rows_left_after_the_principal_are_paid_in_turn() -> None:
    # 0.10 over 12 months at 0 %: A = 0.01, principal is repaid by row 10, rows 11-12 carry the fee only
    terms = LoanTerms(D("0.10"), D("0"), 12, date(2024, 3, 5), monthly_fee=D("5.00"))
    rows = build_schedule(terms).payments
    assert [p.principal for p in rows[9:]] == [D("0.01"), ZERO, ZERO]
    receipts = [Receipt(p.date, p.payment) for p in rows[:9]] + [Receipt(rows[9].date, D("30.00"))]
    s = state(terms, receipts, rows[9].date)
    assert s.status == "closed" and s.closed_on == rows[9].date and s.early_repayments == ()
    assert s.allocations[-1].fee == D("15.00") and s.overpaid == D("30.00") - D("15.01")


@PROPS
@given(
    method=st.sampled_from(list(Method)),
    day_count=st.sampled_from(list(DayCount)),
    mode=st.sampled_from(list(EarlyRepaymentMode)),
    amount=st.integers(100_000, 300_000_000),
    rate=st.integers(0, 6_000),
    term=st.integers(2, 36),
    grace=st.integers(0, 5),
    fee=st.sampled_from([D("0.00"), D("49.00"), D("350.00")]),
    issue=st.dates(date(2015, 1, 1), date(2035, 12, 28)).filter(lambda d: d.day <= 28),
    data=st.data(),
)
def test_early_repayment_matches_the_loan_maths_core(
    method: Method,
    day_count: DayCount,
    mode: EarlyRepaymentMode,
    amount: int,
    rate: int,
    term: int,
    grace: int,
    fee: Decimal,
    issue: date,
    data: st.DataObject,
) -> None:
    """On a due date, servicing's recomputed rows equal ``early_repayment`` of the core."""
    terms = LoanTerms(
        D(amount).scaleb(-2),
        D(rate).scaleb(-2),
        term,
        issue,
        method,
        day_count,
        monthly_fee=fee,
        grace_months=min(grace, term - 1),
    )
    rows = build_schedule(terms).payments
    c = data.draw(st.integers(1, term - 1), label="current")
    # A row with nothing to pay (a grace row at 0 % without a monthly fee) is already paid
    # before any cash arrives, so a receipt on its date goes to the NEXT instalment as the
    # current one (docs/servicing.md, steps 3-5), not to an early repayment after row c:
    # the core's ``early_repayment(on=<row c's date>)`` is not the oracle for that case
    # (regression: test_receipt_on_a_zero_grace_row_date_pays_the_next_instalment).
    assume(rows[c - 1].payment > 0)
    balance = rows[c - 1].balance
    extra = D(data.draw(st.integers(1, int(balance * 100) - 1), label="extra kop")).scaleb(-2)
    # Receipts are > 0 by contract (a 0.00 receipt is refused), and a row with nothing to pay
    # needs no receipt: paying "per schedule" skips the zero rows.
    receipts = [Receipt(p.date, p.payment) for p in rows[: c - 1] if p.payment] + [
        Receipt(rows[c - 1].date, rows[c - 1].payment + extra)
    ]
    s = state(terms, receipts, rows[c - 1].date, early_mode=mode)
    core = early_repayment(terms, on=rows[c - 1].date, amount=extra, mode=mode).payments[1:]
    mine = s.instalments[c:]
    assert [(r.due_date, r.principal, r.interest, r.fee) for r in mine] == [
        (p.date, p.principal, p.interest, p.fee) for p in core
    ]
    assert [r.number for r in mine] == list(range(c + 1, c + 1 + len(core)))
    assert balance_runs_to_zero(s, terms.amount)


def test_receipt_on_a_zero_grace_row_date_pays_the_next_instalment() -> None:
    """Hypothesis' examples for the property above (0 %, no fee, one grace month).

    The grace row has nothing to pay, so it is paid before any cash arrives (no receipt
    needed; a 0.00 receipt is refused) and cash on its date pays the next instalment as the
    current one (docs/servicing.md, steps 3-5) instead of repaying principal early.
    """
    two = LoanTerms(D("1000.00"), D("0"), 2, date(2015, 1, 1), monthly_fee=D("0.00"), grace_months=1)
    rows = build_schedule(two).payments
    assert rows[0].payment == 0 and rows[1].principal == D("1000.00")
    with pytest.raises(LoanMathError, match="receipt amount must be > 0"):
        state(two, [Receipt(rows[0].date, ZERO)], rows[0].date)
    s = state(two, [Receipt(rows[0].date, D("0.01"))], rows[0].date)
    assert s.early_repayments == () and s.allocations[0].principal == D("0.01")
    assert [(r.number, r.principal, r.paid_principal, r.status) for r in s.instalments] == [
        (1, ZERO, ZERO, "paid"),
        (2, D("1000.00"), D("0.01"), "partly_paid"),
    ]
    assert s.outstanding_principal == D("999.99") and balance_runs_to_zero(s, two.amount)
    # paid per schedule (the zero row needs no receipt), a surplus on row 2's date is early
    three = LoanTerms(D("1000.00"), D("0"), 3, date(2015, 1, 1), monthly_fee=D("0.00"), grace_months=1)
    rows = build_schedule(three).payments
    s = state(three, [Receipt(rows[1].date, rows[1].payment + D("0.01"))], rows[1].date)
    (er,) = s.early_repayments
    assert (er.after_instalment, er.principal, er.balance_after) == (2, D("0.01"), D("499.99"))
    core = early_repayment(three, on=rows[1].date, amount=D("0.01"), mode="reduce_term").payments[1:]
    assert [(r.due_date, r.principal, r.interest, r.fee) for r in s.instalments[2:]] == [
        (p.date, p.principal, p.interest, p.fee) for p in core
    ] == [(date(2015, 4, 1), D("499.99"), ZERO, ZERO)]


def test_early_repayment_on_28_february_matches_the_core() -> None:
    """Hypothesis' example: 1,000.00 at 0.06 %, 30/360, issued 28 Jan 2015, 0.01 extra on 28 Feb.

    Row 2 (28 Feb -> 28 Mar) is a whole month: 500.00 * 0.06 / 1200 = 0.025 -> 0.03 in both
    servicing and the core (the core used to count 28 days there: 0.02).
    """
    terms = LoanTerms(D("1000.00"), D("0.06"), 2, date(2015, 1, 28))
    rows = build_schedule(terms).payments
    s = state(terms, [Receipt(rows[0].date, rows[0].payment + D("0.01"))], rows[0].date)
    core = early_repayment(terms, on=rows[0].date, amount=D("0.01"), mode="reduce_term").payments[1:]
    assert [(r.due_date, r.principal, r.interest, r.fee) for r in s.instalments[1:]] == [
        (p.date, p.principal, p.interest, p.fee) for p in core
    ] == [(date(2015, 3, 28), D("500.00"), D("0.03"), ZERO)]


# --- conservation and replay properties -----------------------------------------------------

loans = st.builds(
    LoanTerms,
    amount=st.integers(100_00, 5_000_000_00).map(lambda k: D(k).scaleb(-2)),
    annual_rate=st.integers(0, 9_000).map(lambda bp: D(bp).scaleb(-2)),
    term_months=st.integers(1, 24),
    issue_date=st.dates(date(2016, 1, 1), date(2030, 12, 31)),
    method=st.sampled_from(list(Method)),
    day_count=st.sampled_from(list(DayCount)),
    monthly_fee=st.sampled_from([D("0.00"), D("30.00")]),
)


@st.composite
def loan_with_receipts(draw: st.DrawFn) -> tuple[LoanTerms, list[Receipt], EarlyRepaymentMode]:
    terms = draw(loans)
    regular = build_schedule(terms).payments[0].payment
    span = terms.term_months * 31 + 120
    n = draw(st.integers(0, 24))
    # mostly around an instalment (partial, late, a bit extra), sometimes a large prepayment
    sizes = st.one_of(
        st.integers(1, int(regular * 250)),
        st.integers(1, int(terms.amount * 120) + 1),
    )
    receipts = [
        Receipt(days(terms.issue_date, draw(st.integers(0, span))), D(draw(sizes)).scaleb(-2))
        for _ in range(n)
    ]
    return terms, receipts, draw(st.sampled_from(list(EarlyRepaymentMode)))


@settings(max_examples=150, deadline=None, derandomize=True)
@given(case=loan_with_receipts(), shuffle_seed=st.integers(0, 10**6))
def test_conservation_and_replay(
    case: tuple[LoanTerms, list[Receipt], EarlyRepaymentMode], shuffle_seed: int
) -> None:
    terms, receipts, mode = case
    end = days(terms.issue_date, terms.term_months * 31 + 150)
    checkpoints = sorted({terms.issue_date, end, *(r.paid_on for r in receipts)})
    prev_paid = ZERO
    prev_fpd = False
    for as_of in checkpoints:
        s = state(terms, receipts, as_of, early_mode=mode)
        received = sum((r.amount for r in receipts if r.paid_on <= as_of), ZERO)
        parts = [
            a.overdue_interest + a.overdue_fee + a.overdue_principal + a.interest + a.fee + a.principal
            for a in s.allocations
        ]
        assert all(
            p + a.early_principal + a.overpaid == a.amount for p, a in zip(parts, s.allocations, strict=True)
        )
        assert s.received_total == received == s.paid_total + s.overpaid
        assert s.paid_total == s.paid_principal + s.paid_interest + s.paid_fee
        assert 0 <= s.outstanding_principal <= terms.amount
        assert balance_runs_to_zero(s, terms.amount)
        for r in s.instalments:
            assert 0 <= r.paid_principal <= r.principal and 0 <= r.paid_interest <= r.interest
            assert 0 <= r.paid_fee <= r.fee and r.paid == r.paid_principal + r.paid_interest + r.paid_fee
        assert s.outstanding_principal == sum((r.principal - r.paid_principal for r in s.instalments), ZERO)
        assert (s.status == "closed") == (
            s.outstanding_principal == 0 and all(r.status == "paid" for r in s.instalments)
        )
        assert s.overpaid == 0 or s.status == "closed" or s.outstanding_principal == 0
        assert s.paid_total >= prev_paid and (s.first_payment_default or not prev_fpd)
        prev_paid, prev_fpd = s.paid_total, s.first_payment_default
    # order of receipts, and splitting a payment in two on the same date, change nothing
    whole = state(terms, receipts, end, early_mode=mode)
    shuffled = list(receipts)
    random.Random(shuffle_seed).shuffle(shuffled)
    split: list[Receipt] = []
    for rec in shuffled:
        half = (rec.amount / 3).quantize(D("0.01"))
        split += [Receipt(rec.paid_on, half), Receipt(rec.paid_on, rec.amount - half)] if half else [rec]
    assert state(terms, shuffled, end, early_mode=mode) == whole
    assert state(terms, split, end, early_mode=mode) == whole


# --- allocate_payment -----------------------------------------------------------------------


def test_allocate_payment_reports_the_split_of_a_new_payment() -> None:
    rows = schedule(T)
    kw: dict[str, Any] = {
        "amount": T.amount,
        "annual_rate": T.annual_rate,
        "issue_date": T.issue_date,
        "day_count": T.day_count,
        "instalments": rows,
    }
    earlier = [Receipt(rows[0].due_date, D("5000.00"))]
    new = Receipt(days(rows[1].due_date, 2), D("30000.00"))
    out = allocate_payment(**kw, receipts=earlier, payment=new)
    a = out.allocation
    assert out.state.allocations[-1] == a and out.state.as_of == new.paid_on
    assert a.overdue_principal == rows[0].principal + rows[0].interest - D("5000.00") + rows[1].principal
    assert a.overdue_interest == rows[1].interest
    assert a.interest == rows[2].interest and a.principal == rows[2].principal and a.early_principal > 0
    # back-dated: the parts are the net change to the loan and still sum to the payment
    back = allocate_payment(**kw, receipts=[new], payment=Receipt(rows[0].due_date, D("1234.56")))
    b = back.allocation
    total = b.overdue_interest + b.overdue_fee + b.overdue_principal + b.interest + b.fee + b.principal
    assert total + b.early_principal + b.overpaid == D("1234.56")
    with pytest.raises(LoanMathError):
        allocate_payment(**kw, receipts=[], payment=new, as_of=rows[0].due_date)


# --- validation -----------------------------------------------------------------------------


def test_invalid_input_is_refused() -> None:
    rows = schedule(T)
    base: dict[str, Any] = {
        "amount": T.amount,
        "annual_rate": T.annual_rate,
        "issue_date": T.issue_date,
        "day_count": T.day_count,
        "instalments": rows,
        "receipts": [],
        "as_of": rows[0].due_date,
    }
    bad: list[dict[str, Any]] = [
        {"amount": D("1.00")},  # principal does not sum to the amount
        {"instalments": rows[1:]},  # numbering
        {"receipts": [Receipt(rows[0].due_date, 10.0)]},  # type: ignore[arg-type]  # a float
        {"receipts": [Receipt(rows[0].due_date, D("0.001"))]},
        {"receipts": [Receipt(rows[0].due_date, D("0"))]},
        {"receipts": [Receipt(date(2023, 12, 31), D("1.00"))]},
        {"as_of": date(2023, 12, 31)},
        {"early_mode": "reduce_nothing"},
        {"instalments": [rows[1], rows[0]]},
    ]
    for change in bad:
        with pytest.raises(LoanMathError):
            loan_state(**{**base, **change})
