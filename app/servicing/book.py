"""A loan's stored state in the book, and the close of business's step from one day to the next.

The book keeps, per loan, its state at the end of ``state_date`` (:class:`BookState`):
what the portfolio, the flags, reminders and the dashboard aggregate in SQL. Between two
events (an instalment falling due, an early repayment, a holiday boundary: the loan's
``next_event_date``) nothing changes but the calendar, and the state on a later date
follows from the stored one by a linear law: interest and the penalty accrue on constant
bases, days past due grow, buckets, the problem status and first-payment default follow
from them. :func:`roll_forward` is that law; on an event date the close of business
replays the loan instead. Both give exactly what :func:`app.servicing.replay` gives
(``tests/servicing`` holds them equal).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from app.loanmath import DayCount
from app.servicing import accrual
from app.servicing.delinquency import FPD_DAYS, PROBLEM_DPD, dpd_bucket
from app.servicing.model import LoanState, PenaltyBasis, Terms

_CENT = Decimal("0.01")


def _dec(kop: int) -> Decimal:
    return Decimal(kop).scaleb(-2).quantize(_CENT)


def _kop(value: Decimal) -> int:
    return int(value.scaleb(2))


@dataclass(frozen=True, slots=True)
class BookState:
    """The stored state of one loan at the end of ``state_date`` (money as Decimal roubles)."""

    state_date: date
    status: str
    closed_on: date | None
    principal_outstanding: Decimal
    overdue_principal: Decimal
    overdue_interest: Decimal
    overdue_fee: Decimal
    due_today_principal: Decimal
    due_today_interest: Decimal
    due_today_fee: Decimal
    oldest_unpaid_due: date | None
    days_past_due: int
    bucket: str
    first_due_date: date
    fpd_applies: bool
    first_settled_on: date | None
    first_payment_default: bool
    next_due_date: date | None
    next_due_amount: Decimal | None
    upcoming_due_date: date | None
    upcoming_due_amount: Decimal | None
    next_event_date: date | None
    advance: Decimal
    received_total: Decimal
    paid_principal: Decimal
    paid_interest: Decimal
    paid_fee: Decimal
    paid_penalty: Decimal
    accrued_interest: Decimal
    penalty_accrued: Decimal
    period_start: date
    accrual_units: int
    carried_interest: Decimal
    interest_base: Decimal
    penalty_units: int
    penalty_base: Decimal

    @property
    def overdue_total(self) -> Decimal:
        return self.overdue_principal + self.overdue_interest + self.overdue_fee

    @property
    def penalty_outstanding(self) -> Decimal:
        return self.penalty_accrued - self.paid_penalty

    def columns(self) -> dict[str, Any]:
        """The values of the loan row's state columns (exact units as decimal text)."""
        out = {name: getattr(self, name) for name in self.__slots__}
        out["accrual_units"] = str(self.accrual_units)
        out["penalty_units"] = str(self.penalty_units)
        out["overdue_since_day"] = None if self.oldest_unpaid_due is None else self.oldest_unpaid_due.toordinal()
        return out

    @classmethod
    def from_columns(cls, row: Any) -> BookState:
        values = {name: row[name] for name in cls.__slots__}
        values["accrual_units"] = int(values["accrual_units"])
        values["penalty_units"] = int(values["penalty_units"])
        return cls(**values)


def book_state(state: LoanState) -> BookState:
    """What the book stores of a replayed state."""
    led = state.ledger
    assert led is not None
    return BookState(
        state_date=state.as_of,
        status=state.status,
        closed_on=state.closed_on,
        principal_outstanding=state.principal_outstanding,
        overdue_principal=state.overdue_principal,
        overdue_interest=state.overdue_interest,
        overdue_fee=state.overdue_fee,
        due_today_principal=_dec(led.due_today_principal),
        due_today_interest=_dec(led.due_today_interest),
        due_today_fee=_dec(led.due_today_fee),
        oldest_unpaid_due=led.oldest_unpaid_due,
        days_past_due=state.days_past_due,
        bucket=state.bucket,
        first_due_date=state.first_due_date,
        fpd_applies=led.fpd_applies,
        first_settled_on=led.first_settled_on,
        first_payment_default=state.first_payment_default,
        next_due_date=state.next_due_date,
        next_due_amount=state.next_due_amount,
        upcoming_due_date=led.upcoming_due_date,
        upcoming_due_amount=None if led.upcoming_due_amount is None else _dec(led.upcoming_due_amount),
        next_event_date=led.next_event_date,
        advance=state.advance,
        received_total=state.received_total,
        paid_principal=state.paid_principal,
        paid_interest=state.paid_interest,
        paid_fee=state.paid_fee,
        paid_penalty=state.paid_penalty,
        accrued_interest=state.accrued_interest,
        penalty_accrued=state.penalty_accrued,
        period_start=led.period_start,
        accrual_units=led.accrual_units,
        carried_interest=_dec(led.carried_interest),
        interest_base=_dec(led.interest_base),
        penalty_units=led.penalty_units,
        penalty_base=_dec(led.penalty_base),
    )


def needs_replay(book: BookState, terms: Terms, to: date) -> bool:
    """Whether the step to ``to`` crosses an event (or a 30/360 period, whose whole month the
    linear law cannot split): then only a replay gives the state."""
    if book.status == "closed":
        return False
    if book.next_event_date is not None and book.next_event_date <= to:
        return True
    return DayCount(terms.day_count) is DayCount.THIRTY_360


def roll_forward(book: BookState, terms: Terms, to: date) -> BookState:
    """The state at the end of ``to`` when no event falls in ``(state_date, to]``."""
    if to < book.state_date:
        raise ValueError(f"cannot roll back from {book.state_date} to {to}")
    if to == book.state_date:
        return book
    if book.status == "closed":
        return replace(book, state_date=to)
    if needs_replay(book, terms, to):
        raise ValueError("an event falls in the step; replay the loan instead")
    start = book.state_date
    rate = accrual.rate_bp(Decimal(terms.annual_rate))
    units = book.accrual_units + _kop(book.interest_base) * rate * accrual.actual_weight(start, to)
    penalty_units = book.penalty_units
    prate = accrual.rate_bp(Decimal(terms.penalty_rate), "penalty_rate")
    if prate and book.penalty_base:
        w = (
            accrual.actual_weight(start, to)
            if PenaltyBasis(terms.penalty_basis) is PenaltyBasis.ANNUAL
            else accrual.daily_weight(start, to)
        )
        penalty_units += _kop(book.penalty_base) * prate * w
    # what was due on the stored date and unpaid is overdue from the next day
    overdue_p = book.overdue_principal + book.due_today_principal
    overdue_i = book.overdue_interest + book.due_today_interest
    overdue_f = book.overdue_fee + book.due_today_fee
    oldest = book.oldest_unpaid_due
    dpd = (to - oldest).days if oldest is not None and oldest < to else 0
    fpd_day = book.first_due_date + timedelta(days=FPD_DAYS)
    fpd = book.fpd_applies and to >= fpd_day and (book.first_settled_on is None or book.first_settled_on > fpd_day)
    zero = Decimal("0.00")
    return replace(
        book,
        state_date=to,
        status="problem" if dpd > PROBLEM_DPD else "active",
        overdue_principal=overdue_p,
        overdue_interest=overdue_i,
        overdue_fee=overdue_f,
        due_today_principal=zero,
        due_today_interest=zero,
        due_today_fee=zero,
        days_past_due=dpd,
        bucket=dpd_bucket(dpd),
        first_payment_default=fpd,
        next_due_date=book.upcoming_due_date,
        next_due_amount=book.upcoming_due_amount,
        accrual_units=units,
        accrued_interest=_dec(accrual.to_kopecks(units)) + book.carried_interest,
        penalty_units=penalty_units,
        penalty_accrued=_dec(accrual.to_kopecks(penalty_units)),
    )
