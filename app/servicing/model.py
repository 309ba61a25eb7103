"""What the servicing engine reads (a contract, its schedule, what happened) and what it reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Literal

from app.loanmath import DayCount, EarlyRepaymentMode, Method

InstalmentStatus = Literal["paid", "partly_paid", "overdue", "due", "future"]
LoanStatus = Literal["active", "problem", "closed"]


class PenaltyBasis(StrEnum):
    """How a contract states its penalty (353-FZ art. 5 part 21 caps each way)."""

    #: percent a year of the overdue amount while interest keeps accruing (at most 20)
    ANNUAL = "annual"
    #: percent a day of the overdue amount when no interest accrues on it (at most 0.1)
    DAILY = "daily"


#: The law's caps (353-FZ art. 5 part 21), in percent.
PENALTY_CAP = {PenaltyBasis.ANNUAL: Decimal(20), PenaltyBasis.DAILY: Decimal("0.1")}


@dataclass(frozen=True, slots=True)
class Terms:
    """The contract as servicing needs it. Rates are percent (18.9 means 18.9 % a year)."""

    amount: Decimal
    annual_rate: Decimal
    issue_date: date
    day_count: DayCount = DayCount.ACTUAL_365
    method: Method = Method.ANNUITY
    penalty_rate: Decimal = Decimal(0)
    penalty_basis: PenaltyBasis = PenaltyBasis.ANNUAL


@dataclass(frozen=True, slots=True)
class Instalment:
    """One row of the contractual schedule: what falls due on ``due_date``."""

    number: int
    due_date: date
    principal: Decimal
    interest: Decimal
    fee: Decimal = Decimal(0)


@dataclass(frozen=True, slots=True)
class Receipt:
    """Money received from the borrower, with its value date; ``ref`` names it in the report."""

    paid_on: date
    amount: Decimal
    ref: int = 0


@dataclass(frozen=True, slots=True)
class EarlyRepaymentRequest:
    """The borrower's application to repay early on ``on`` (``amount`` None: in full)."""

    on: date
    amount: Decimal | None
    mode: EarlyRepaymentMode = EarlyRepaymentMode.REDUCE_TERM
    ref: int = 0


@dataclass(frozen=True, slots=True)
class Holiday:
    """Credit holidays (353-FZ art. 6.1-2): no payments are due for ``months`` from ``start``."""

    start: date
    months: int
    ref: int = 0


@dataclass(frozen=True, slots=True)
class History:
    """Everything that happened to a loan, as servicing replays it."""

    receipts: tuple[Receipt, ...] = ()
    early_repayments: tuple[EarlyRepaymentRequest, ...] = ()
    holidays: tuple[Holiday, ...] = ()


# -- what the engine reports ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InstalmentState:
    """One row of the schedule in force, with what has been paid against it.

    ``interest`` is what fell due on ``due_date`` (interest accrued on the principal actually
    outstanding in the period, plus any interest deferred to the row); for a row not yet
    due it is the projection on today's principal.
    """

    number: int
    due_date: date
    principal: Decimal
    interest: Decimal
    fee: Decimal
    payment: Decimal
    paid_principal: Decimal
    paid_interest: Decimal
    paid_fee: Decimal
    paid: Decimal
    status: InstalmentStatus
    settled_on: date | None
    deferred: bool = False


@dataclass(frozen=True, slots=True)
class ReceiptSplit:
    """Where every rouble of one receipt went, in the legal order (353-FZ art. 5 part 20).

    ``advance`` is what is still held on the loan (it pays the next instalments on their
    due dates, or an early repayment on its date); the parts always sum to ``amount``.
    """

    ref: int
    paid_on: date
    amount: Decimal
    overdue_interest: Decimal
    overdue_principal: Decimal
    interest: Decimal
    principal: Decimal
    penalty: Decimal
    fees: Decimal
    early_interest: Decimal
    early_principal: Decimal
    advance: Decimal


SPLIT_PARTS = (
    "overdue_interest", "overdue_principal", "interest", "principal", "penalty", "fees",
    "early_interest", "early_principal",
)


@dataclass(frozen=True, slots=True)
class Revision:
    """A schedule in force from ``on``: the contract (0), or after an early repayment or a holiday."""

    number: int
    on: date
    reason: Literal["contract", "early_repayment", "holiday"]
    balance: Decimal
    instalments: tuple[InstalmentState, ...]
    psk_percent: Decimal | None


@dataclass(frozen=True, slots=True)
class EarlyRepaymentOutcome:
    """What an application did on its date.

    ``executed`` is False while it is in the future, and when on its date it could apply
    nothing (no money held, the overdue debt not cleared, the loan already closed): ``note``
    says which.
    """

    ref: int
    on: date
    requested: Decimal | None
    mode: EarlyRepaymentMode
    executed: bool
    interest: Decimal
    principal: Decimal
    closed: bool
    revision: int | None
    #: why an application dated on or before ``as_of`` applied nothing (``executed`` False)
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Payoff:
    """Exactly what closes the loan at the end of ``on``.

    ``total`` is what is owed; ``advance`` what the loan already holds; ``to_pay`` the
    money the borrower still brings (``total - advance``, never below zero).
    """

    on: date
    principal: Decimal
    interest: Decimal
    penalty: Decimal
    fees: Decimal
    total: Decimal
    advance: Decimal
    to_pay: Decimal


@dataclass(frozen=True, slots=True)
class Ledger:
    """The engine's running figures at the end of ``as_of``, from which the state on any later
    date before ``next_event_date`` follows by a linear law (``app.servicing.book``).

    Amounts in integer kopecks; ``*_units`` are exact accruals in ``app.servicing.accrual``
    units. ``due_today_*`` are what fell due on ``as_of`` itself and is unpaid (overdue from
    the next day); ``oldest_unpaid_due`` includes them.
    """

    period_start: date
    accrual_units: int
    carried_interest: int
    interest_base: int
    penalty_units: int
    penalty_base: int
    due_today_principal: int
    due_today_interest: int
    due_today_fee: int
    oldest_unpaid_due: date | None
    fpd_applies: bool
    first_settled_on: date | None
    upcoming_due_date: date | None
    upcoming_due_amount: int | None
    next_event_date: date | None


@dataclass(frozen=True, slots=True)
class LoanState:
    """The loan at the end of ``as_of``: a pure function of its contract and its history.

    Every rouble received is accounted for: ``received_total == paid_principal +
    paid_interest + paid_penalty + paid_fee + advance``.
    """

    as_of: date
    status: LoanStatus
    closed_on: date | None
    principal_outstanding: Decimal
    overdue_principal: Decimal
    overdue_interest: Decimal
    overdue_fee: Decimal
    overdue_total: Decimal
    accrued_interest: Decimal
    penalty_accrued: Decimal
    penalty_paid: Decimal
    penalty_outstanding: Decimal
    advance: Decimal
    received_total: Decimal
    paid_principal: Decimal
    paid_interest: Decimal
    paid_fee: Decimal
    paid_penalty: Decimal
    days_past_due: int
    bucket: str
    oldest_unpaid_due: date | None
    first_payment_default: bool
    first_due_date: date
    next_due_date: date | None
    next_due_amount: Decimal | None
    instalments: tuple[InstalmentState, ...]
    receipts: tuple[ReceiptSplit, ...]
    revisions: tuple[Revision, ...]
    early_repayments: tuple[EarlyRepaymentOutcome, ...]
    holidays: tuple[Holiday, ...] = field(default=())
    ledger: Ledger | None = None
    #: interest of holiday months carried to the deferred rows, not yet due (in the payoff)
    deferred_interest: Decimal = Decimal("0.00")

    @property
    def paid_total(self) -> Decimal:
        return self.paid_principal + self.paid_interest + self.paid_fee + self.paid_penalty
