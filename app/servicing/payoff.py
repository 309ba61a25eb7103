"""What closes a loan on a date: the state on that date, read as money owed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from app.servicing.engine import replay
from app.servicing.model import History, Instalment, LoanState, Payoff, Terms


def payoff_of(state: LoanState) -> Payoff:
    """The payoff at the end of ``state.as_of``: principal, interest to the day, penalty, fees."""
    zero = Decimal("0.00")
    due_today = [i for i in state.instalments if i.status == "due"]  # fell due today, not yet paid
    principal = state.principal_outstanding  # overdue and due principal included
    # interest to the day: overdue, accrued in the current period, and deferred by a holiday
    interest = state.overdue_interest + state.accrued_interest + state.deferred_interest
    interest += sum((i.interest - i.paid_interest for i in due_today), zero)
    fees = state.overdue_fee + sum((i.fee - i.paid_fee for i in due_today), zero)
    total = principal + interest + state.penalty_outstanding + fees
    if state.status == "closed":
        total = Decimal("0.00")
        principal = interest = fees = Decimal("0.00")
    to_pay = max(Decimal("0.00"), total - state.advance)
    return Payoff(state.as_of, principal, interest, state.penalty_outstanding if total else Decimal("0.00"),
                  fees, total, state.advance, to_pay)


def payoff(terms: Terms, schedule: Sequence[Instalment], history: History, *, on: date) -> Payoff:
    """What closes the loan at the end of ``on`` if nothing else happens before (no new money)."""
    return payoff_of(replay(terms, schedule, history, as_of=on))
