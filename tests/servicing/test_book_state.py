"""The stored state rolled forward day by day equals a fresh replay, field by field.

This is the property the close of business rests on: between events it steps the stored
state by :func:`app.servicing.roll_forward`; on an event date it replays the loan.
"""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from app.servicing import book_state, needs_replay, replay, roll_forward
from tests.servicing.strategies import loans


@settings(deadline=None)
@given(loan=loans(), steps=st.lists(st.integers(1, 45), min_size=1, max_size=25))
def test_roll_forward_equals_replay(loan, steps) -> None:  # type: ignore[no-untyped-def]
    terms, schedule, history = loan
    day = terms.issue_date
    stored = book_state(replay(terms, schedule, history, as_of=day))
    for step in steps:
        day = day + timedelta(days=step)
        fresh = book_state(replay(terms, schedule, history, as_of=day))
        # money received is posted with its own replay (the loan's write path)
        posted = any(stored.state_date < r.paid_on <= day for r in history.receipts)
        if posted or needs_replay(stored, terms, day):
            stored = fresh
        else:
            assert roll_forward(stored, terms, day) == fresh
            stored = fresh
        # what closed stays closed, and every rouble received is accounted for
        assert stored.received_total == (
            stored.paid_principal + stored.paid_interest + stored.paid_fee + stored.paid_penalty + stored.advance
        )


@given(loan=loans())
def test_event_free_step_is_one_law(loan) -> None:  # type: ignore[no-untyped-def]
    """Rolling two short steps equals rolling one long step (no event in between)."""
    terms, schedule, history = loan
    stored = book_state(replay(terms, schedule, history, as_of=terms.issue_date))
    end = stored.next_event_date or terms.issue_date + timedelta(days=400)
    last = end - timedelta(days=1)
    if last <= stored.state_date:
        return
    mid = stored.state_date + (last - stored.state_date) // 2
    assert roll_forward(roll_forward(stored, terms, mid), terms, last) == roll_forward(stored, terms, last)
