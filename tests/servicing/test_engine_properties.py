"""Properties of the servicing engine on random loans, histories and holidays.

Examples stay modest (a few dozen per property, schedules up to 24 rows) so the suite is
fast; the CI profile derandomizes them.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from app.loanmath import DayCount
from app.servicing import (
    EarlyRepaymentRequest,
    History,
    Receipt,
    book_state,
    needs_replay,
    payoff,
    replay,
    roll_forward,
)
from app.servicing.model import SPLIT_PARTS
from tests.servicing.strategies import loans

BOTH = (DayCount.ACTUAL_365, DayCount.THIRTY_360)
FEW = settings(deadline=None, max_examples=60)


def horizon(terms, schedule) -> int:  # type: ignore[no-untyped-def]
    return (schedule[-1].due_date - terms.issue_date).days + 150


@FEW
@given(loan=loans(day_counts=BOTH, holidays=True, paying=True), data=st.data())
def test_money_is_conserved(loan, data) -> None:  # type: ignore[no-untyped-def]
    """Every rouble received is allocated or held as advance, receipt by receipt and in total."""
    terms, schedule, history = loan
    as_of = terms.issue_date + timedelta(days=data.draw(st.integers(0, horizon(terms, schedule))))
    state = replay(terms, schedule, history, as_of=as_of)
    assert state.received_total == (
        state.paid_principal + state.paid_interest + state.paid_fee + state.paid_penalty + state.advance
    )
    for split in state.receipts:
        assert split.amount == sum((getattr(split, p) for p in SPLIT_PARTS), split.advance)
        assert all(getattr(split, p) >= 0 for p in SPLIT_PARTS) and split.advance >= 0
    assert state.advance == sum((s.advance for s in state.receipts), Decimal("0.00"))
    assert Decimal(0) <= state.principal_outstanding <= terms.amount
    assert state.paid_principal + state.principal_outstanding == terms.amount
    if state.status == "closed":
        assert state.principal_outstanding == 0 and state.deferred_interest == 0


@FEW
@given(loan=loans(day_counts=BOTH))
def test_paid_on_schedule_pays_exactly_the_schedule(loan) -> None:  # type: ignore[no-untyped-def]
    terms, schedule, _ = loan
    receipts = tuple(Receipt(i.due_date, i.principal + i.interest + i.fee, ref=i.number) for i in schedule)
    last = schedule[-1].due_date
    state = replay(terms, schedule, History(receipts), as_of=last)
    assert state.status == "closed" and state.closed_on == last
    assert state.advance == 0 and state.penalty_accrued == 0 and not state.first_payment_default
    assert [(i.principal, i.interest, i.settled_on) for i in state.instalments] == [
        (i.principal, i.interest, i.due_date) for i in schedule
    ]
    assert state.paid_interest == sum(i.interest for i in schedule)


@FEW
@given(loan=loans(day_counts=BOTH, holidays=True, paying=True), data=st.data())
def test_replay_is_deterministic_and_ignores_the_order_of_the_history(loan, data) -> None:  # type: ignore[no-untyped-def]
    terms, schedule, history = loan
    as_of = terms.issue_date + timedelta(days=data.draw(st.integers(0, horizon(terms, schedule))))
    shuffled = History(
        receipts=tuple(data.draw(st.permutations(history.receipts))),
        early_repayments=tuple(data.draw(st.permutations(history.early_repayments))),
        holidays=tuple(data.draw(st.permutations(history.holidays))),
    )
    first = replay(terms, schedule, history, as_of=as_of)
    assert replay(terms, schedule, history, as_of=as_of) == first
    assert replay(terms, schedule, shuffled, as_of=as_of) == first


@FEW
@given(loan=loans(day_counts=BOTH, holidays=True, paying=True), data=st.data())
def test_paying_the_payoff_closes_the_loan(loan, data) -> None:  # type: ignore[no-untyped-def]
    """The payoff on a date, brought that day with an application for full repayment, closes
    the loan that day with nothing held back."""
    terms, schedule, history = loan
    on = terms.issue_date + timedelta(days=data.draw(st.integers(0, horizon(terms, schedule))))
    p = payoff(terms, schedule, history, on=on)
    assert p.total == p.principal + p.interest + p.penalty + p.fees
    receipts = history.receipts + ((Receipt(on, p.to_pay, ref=10_000),) if p.to_pay else ())
    closing = History(receipts, (*history.early_repayments, EarlyRepaymentRequest(on, None, ref=10_000)),
                      history.holidays)
    state = replay(terms, schedule, closing, as_of=on)
    assert state.status == "closed"
    assert state.advance == max(Decimal("0.00"), p.advance - p.total)


@settings(deadline=None, max_examples=60)
@given(loan=loans(holidays=True, paying=True), steps=st.lists(st.integers(1, 45), min_size=1, max_size=20))
def test_roll_forward_equals_replay_with_holidays(loan, steps) -> None:  # type: ignore[no-untyped-def]
    """The book's property (tests/servicing/test_book_state.py) on loans with credit holidays."""
    terms, schedule, history = loan
    day = terms.issue_date
    stored = book_state(replay(terms, schedule, history, as_of=day))
    for step in steps:
        day = day + timedelta(days=step)
        fresh = book_state(replay(terms, schedule, history, as_of=day))
        posted = any(stored.state_date < r.paid_on <= day for r in history.receipts)
        if not (posted or needs_replay(stored, terms, day)):
            assert roll_forward(stored, terms, day) == fresh
        stored = fresh
