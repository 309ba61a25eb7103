"""What the engine reports of a replayed loan: instalment states, revisions, its state and ledger."""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Protocol

from app.loanmath import LoanMathError
from app.loanmath.psk import psk
from app.servicing import accrual
from app.servicing.delinquency import FPD_DAYS, PROBLEM_DPD, dpd_bucket
from app.servicing.model import (
    SPLIT_PARTS,
    EarlyRepaymentOutcome,
    Holiday,
    InstalmentState,
    InstalmentStatus,
    Ledger,
    LoanState,
    LoanStatus,
    ReceiptSplit,
    Revision,
)
from app.servicing.rows import Row, Split, to_dec


class ReplayedLoan(Protocol):
    """What a report reads of the loan being replayed (``app.servicing.engine``), so this
    module needs nothing from the engine itself."""

    amount: int
    rate: int
    rows: list[Row]
    first_due: date
    first_row: Row | None
    principal: int
    t: date
    period_start: date
    accrued: int
    carried: int
    penalty_units: int
    penalty_paid: int
    post_maturity_paid: int
    pool: deque[list[int]]
    splits: list[Split]
    revisions: list[Revision]
    outcomes: list[EarlyRepaymentOutcome]
    closed_on: date | None
    holiday_ends: dict[date, list[int]]

    def _overdue_base(self) -> tuple[int, int]: ...
    def _interest_base(self, overdue_principal: int | None = None) -> int: ...
    def _next_row(self) -> Row | None: ...
    def _weight(self, start: date, end: date) -> int: ...
    def _deferred_total(self) -> int: ...


def revision(loan: ReplayedLoan, number: int, on: date, reason: str, *, psk_percent: Decimal | None) -> Revision:
    rows = tuple(row_state(loan, r, on) for r in loan.rows if not r.processed)
    return Revision(number, on, reason, to_dec(loan.principal), rows, psk_percent)  # type: ignore[arg-type]

def psk_from(loan: ReplayedLoan, day: date) -> Decimal | None:
    flows = [(day, -to_dec(loan.principal))]
    flows += [(r.due, to_dec(r.principal + r.planned_interest + r.fee + r.deferred_interest))
              for r in loan.rows if not r.processed]
    if len(flows) < 2:
        return None
    try:
        return psk(day, flows)
    except LoanMathError:
        return None

def projected_interest(loan: ReplayedLoan, r: Row) -> int:
    """Interest a row not yet due will carry if nothing changes before its date."""
    if loan._next_row() is not r:
        return r.planned_interest + r.deferred_interest
    units = loan.accrued + loan._interest_base() * loan.rate * loan._weight(loan.t, r.due)
    return accrual.to_kopecks(units) + loan.carried + r.deferred_interest

def row_state(loan: ReplayedLoan, r: Row, as_of: date) -> InstalmentState:
    interest = r.interest if r.processed else projected_interest(loan, r)
    status: InstalmentStatus
    if r.settled:
        status = "paid"
    elif r.processed and r.due < as_of:
        status = "overdue"
    elif r.processed:
        status = "due"
    elif r.paid_p or r.paid_i or r.paid_f:
        status = "partly_paid"
    else:
        status = "future"
    return InstalmentState(
        r.number, r.due, to_dec(r.principal), to_dec(interest), to_dec(r.fee), to_dec(r.principal + interest + r.fee),
        to_dec(r.paid_p), to_dec(r.paid_i), to_dec(r.paid_f), to_dec(r.paid_p + r.paid_i + r.paid_f), status,
        r.settled_on, r.deferred,
    )




def ledger(loan: ReplayedLoan, as_of: date, pending: Sequence[date]) -> Ledger:
    today = [r for r in loan.rows if r.processed and r.due == as_of and not r.settled]
    unpaid = [r for r in loan.rows if r.processed and not r.settled]
    future = next((r for r in loan.rows if not r.processed), None)
    events: list[date] = []  # a closed loan has no more events
    if loan.closed_on is None:
        events += list(pending) + list(loan.holiday_ends)
        if future is not None:
            events.append(future.due)
    over_p, over_i = loan._overdue_base()
    upcoming_amount = None
    if future is not None and loan.closed_on is None:
        upcoming_amount = future.principal + projected_interest(loan, future) + future.fee
    first = loan.first_row
    return Ledger(
        period_start=loan.period_start,
        accrual_units=loan.accrued if loan.closed_on is None else 0,
        carried_interest=loan.carried if loan.closed_on is None else 0,
        interest_base=loan._interest_base(over_p) if loan.closed_on is None else 0,
        penalty_units=loan.penalty_units,
        penalty_base=over_p + over_i if loan.closed_on is None else 0,
        due_today_principal=sum(r.principal - r.paid_p for r in today),
        due_today_interest=sum(r.interest - r.paid_i for r in today),
        due_today_fee=sum(r.fee - r.paid_f for r in today),
        oldest_unpaid_due=unpaid[0].due if unpaid else None,
        fpd_applies=first is not None,
        first_settled_on=first.settled_on if first is not None else None,
        upcoming_due_date=future.due if future is not None and loan.closed_on is None else None,
        upcoming_due_amount=upcoming_amount,
        next_event_date=min((d for d in events if d > as_of), default=None),
    )


def state(loan: ReplayedLoan, as_of: date, holidays: Sequence[Holiday], pending: Sequence[date] = ()) -> LoanState:
    rows = loan.rows
    late = [r for r in rows if r.processed and r.due < as_of and not r.settled]
    over_p = sum(r.principal - r.paid_p for r in late)
    over_i = sum(r.interest - r.paid_i for r in late)
    over_f = sum(r.fee - r.paid_f for r in late)
    dpd = (as_of - late[0].due).days if late else 0
    first = loan.first_row
    fpd_day = loan.first_due + timedelta(days=FPD_DAYS)
    # a first instalment deferred by a holiday before it fell due cannot be defaulted on
    fpd = first is not None and as_of >= fpd_day and (first.settled_on is None or first.settled_on > fpd_day)
    upcoming = next((r for r in rows if r.due >= as_of and not r.settled), None)
    status: LoanStatus = "closed" if loan.closed_on is not None else ("problem" if dpd > PROBLEM_DPD else "active")
    states = tuple(row_state(loan, r, as_of) for r in rows)
    next_amount = None
    if upcoming is not None and loan.closed_on is None:
        s = row_state(loan, upcoming, as_of)
        next_amount = s.payment - s.paid
    splits = tuple(
        ReceiptSplit(
            ref=s.ref, paid_on=s.paid_on, amount=to_dec(s.amount), advance=to_dec(s.amount - sum(s.parts.values())),
            **{p: to_dec(s.parts[p]) for p in SPLIT_PARTS},
        )
        for s in loan.splits
    )
    advance = sum(e[1] for e in loan.pool)
    paid_p = loan.amount - loan.principal  # early principal is on no row
    paid_i = sum(r.paid_i for r in rows) + sum(s.parts["early_interest"] for s in loan.splits)
    paid_i += loan.post_maturity_paid
    paid_f = sum(r.paid_f for r in rows)
    received = sum(s.amount for s in loan.splits)
    penalty_acc = accrual.to_kopecks(loan.penalty_units)
    accrued_now = accrual.to_kopecks(loan.accrued) + loan.carried if loan.closed_on is None else 0
    return LoanState(
        as_of=as_of,
        status=status,
        closed_on=loan.closed_on,
        principal_outstanding=to_dec(loan.principal),
        overdue_principal=to_dec(over_p),
        overdue_interest=to_dec(over_i),
        overdue_fee=to_dec(over_f),
        overdue_total=to_dec(over_p + over_i + over_f),
        accrued_interest=to_dec(accrued_now),
        penalty_accrued=to_dec(penalty_acc),
        penalty_paid=to_dec(loan.penalty_paid),
        penalty_outstanding=to_dec(penalty_acc - loan.penalty_paid),
        advance=to_dec(advance),
        received_total=to_dec(received),
        paid_principal=to_dec(paid_p),
        paid_interest=to_dec(paid_i),
        paid_fee=to_dec(paid_f),
        paid_penalty=to_dec(loan.penalty_paid),
        days_past_due=dpd,
        bucket=dpd_bucket(dpd),
        oldest_unpaid_due=late[0].due if late else None,
        first_payment_default=fpd,
        first_due_date=loan.first_due,
        next_due_date=None if upcoming is None or loan.closed_on is not None else upcoming.due,
        next_due_amount=next_amount,
        instalments=states,
        receipts=splits,
        revisions=tuple(loan.revisions),
        early_repayments=tuple(loan.outcomes),
        holidays=tuple(holidays),
        ledger=ledger(loan, as_of, pending),
        deferred_interest=to_dec(loan._deferred_total() if loan.closed_on is None else 0),
    )

