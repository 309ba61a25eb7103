"""What the servicing engine replays, read from the book: a loan's terms, its contractual
schedule and its history (receipts, early-repayment applications, credit holidays).

One loan for the API, or a chunk of loans in four queries for the close of business.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from app.loanmath import DayCount, EarlyRepaymentMode, Method
from app.loans.table import EarlyRepaymentRow, LoanInstalmentRow, LoanPaymentRow, LoanRow, PaymentHolidayRow
from app.servicing import (
    EarlyRepaymentRequest,
    History,
    Holiday,
    Instalment,
    LoanState,
    PenaltyBasis,
    Receipt,
    Terms,
    replay,
)

Loaded = tuple[Terms, tuple[Instalment, ...], History]


def terms_of(loan: Any) -> Terms:
    """The engine's terms of a loan row (an ORM row or a Core row with the same columns)."""
    return Terms(
        amount=loan.amount,
        annual_rate=loan.annual_rate,
        issue_date=loan.issue_date,
        day_count=DayCount(loan.day_count),
        method=Method(loan.method),
        penalty_rate=loan.penalty_rate,
        penalty_basis=PenaltyBasis(loan.penalty_basis),
    )


def load(session: Session, loans: Sequence[Any]) -> dict[int, Loaded]:
    """Terms, schedule and history of each loan, keyed by id (four queries for any number)."""
    ids = [loan.id for loan in loans if loan.id is not None]
    if not ids:
        return {}
    schedules: dict[int, list[Instalment]] = defaultdict(list)
    for i in session.exec(
        select(LoanInstalmentRow)
        .where(col(LoanInstalmentRow.loan_id).in_(ids), LoanInstalmentRow.revision == 0)
        .order_by(col(LoanInstalmentRow.loan_id), col(LoanInstalmentRow.number))
    ):
        schedules[i.loan_id].append(Instalment(i.number, i.due_date, i.principal, i.interest, i.fee))
    receipts: dict[int, list[Receipt]] = defaultdict(list)
    for p in session.exec(select(LoanPaymentRow).where(col(LoanPaymentRow.loan_id).in_(ids))):
        assert p.id is not None
        receipts[p.loan_id].append(Receipt(p.paid_on, p.amount, ref=p.id))
    early: dict[int, list[EarlyRepaymentRequest]] = defaultdict(list)
    for e in session.exec(select(EarlyRepaymentRow).where(col(EarlyRepaymentRow.loan_id).in_(ids))):
        assert e.id is not None
        early[e.loan_id].append(EarlyRepaymentRequest(e.on, e.amount, EarlyRepaymentMode(e.mode), ref=e.id))
    holidays: dict[int, list[Holiday]] = defaultdict(list)
    for h in session.exec(select(PaymentHolidayRow).where(col(PaymentHolidayRow.loan_id).in_(ids))):
        assert h.id is not None
        holidays[h.loan_id].append(Holiday(h.start, h.months, ref=h.id))
    out: dict[int, Loaded] = {}
    for loan in loans:
        assert loan.id is not None
        history = History(tuple(receipts[loan.id]), tuple(early[loan.id]), tuple(holidays[loan.id]))
        out[loan.id] = (terms_of(loan), tuple(schedules[loan.id]), history)
    return out


def state_of(session: Session, loan: LoanRow, *, as_of: date) -> LoanState:
    """The loan replayed to the end of ``as_of`` (what happened after it is left out)."""
    assert loan.id is not None
    terms, schedule, history = load(session, [loan])[loan.id]
    return replay(terms, schedule, up_to(history, as_of), as_of=as_of)


def up_to(history: History, day: date) -> History:
    """The history as it was known at the end of ``day``: receipts dated after it are left out
    (an application filed for a later date stays, reported as pending)."""
    return History(
        tuple(r for r in history.receipts if r.paid_on <= day),
        history.early_repayments,
        history.holidays,
    )
