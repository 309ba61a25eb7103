"""The loan row's stored state: written from a replay by every write path (disbursement,
payment, early repayment, holiday) and by the close of business, so reads agree at once."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session

from app.loans.history import state_of
from app.loans.table import BucketTransitionRow, LoanRow
from app.servicing import BookState, LoanState, book_state


def apply(loan: LoanRow, state: BookState) -> str:
    """Write ``state`` onto the row; returns the bucket the loan was in before."""
    before = loan.bucket
    for name, value in state.columns().items():
        setattr(loan, name, value)
    return before


def record_transition(session: Session, loan_id: int, on: date, before: str, after: str) -> None:
    if before != after:
        session.add(BucketTransitionRow(loan_id=loan_id, on=on, from_bucket=before, to_bucket=after))


def refresh(session: Session, loan: LoanRow, *, business_date: date) -> LoanState:
    """Replay the loan to the business date and store what it shows (one transaction with the
    write that called it). A write dated before the last close restates the state in place."""
    assert loan.id is not None
    state = state_of(session, loan, as_of=max(business_date, loan.issue_date))
    before = apply(loan, book_state(state))
    record_transition(session, loan.id, state.as_of, before, loan.bucket)
    session.add(loan)
    return state


def transition_values(loan_id: int, on: date, before: str, after: str) -> dict[str, Any]:
    return {"loan_id": loan_id, "on": on, "from_bucket": before, "to_bucket": after}
