"""Loan servicing: allocate received payments to the schedule and report the loan's state.

A pure function of the contractual schedule, the payments received and an ``as_of``
date, so any past date can be queried and replayed exactly. Plain Python: stdlib and
the exact loan-maths core (``app.loanmath``); no web, database or validation framework.
The bank's rules are in ``docs/servicing.md``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Literal

from app.loanmath import (
    CENT,
    DayCount,
    EarlyRepaymentMode,
    LoanMathError,
    Method,
    annuity_payment,
)
from app.loanmath.money import CTX, ZERO
from app.loanmath.schedule import amortize, schedule_factors

__all__ = [
    "Allocation",
    "EarlyRepayment",
    "Instalment",
    "InstalmentState",
    "InstalmentStatus",
    "LoanState",
    "LoanStatus",
    "PaymentOutcome",
    "Receipt",
    "allocate_payment",
    "dpd_bucket",
    "loan_state",
]

InstalmentStatus = Literal["paid", "partly_paid", "overdue", "due", "future"]
LoanStatus = Literal["active", "problem", "closed"]

#: First-payment default: the first instalment still unpaid this many days after its due date.
FPD_DAYS = 30
#: "Problem" loans: more than this many days past due (the "90+" bucket).
PROBLEM_DPD = 90


@dataclass(frozen=True, slots=True)
class Instalment:
    """One contractual schedule row (what is due on ``due_date``)."""

    number: int
    due_date: date
    principal: Decimal
    interest: Decimal
    fee: Decimal


@dataclass(frozen=True, slots=True)
class Receipt:
    """Cash received from the borrower with its value date."""

    paid_on: date
    amount: Decimal


@dataclass(frozen=True, slots=True)
class InstalmentState:
    """One row of the schedule in force as of a date, with what has been paid against it.

    ``settled_on`` is the date of the receipt that paid the row in full (``None`` while it
    is not, and for rows with nothing to pay).
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


@dataclass(frozen=True, slots=True)
class Allocation:
    """How the cash received on one date was split; the eight parts sum to ``amount``.

    ``overdue_*`` went to instalments due before ``paid_on``; ``interest``/``fee``/
    ``principal`` to the current instalment (or, when no principal is left after it,
    fee-only rows paid ahead); ``early_principal`` repaid principal ahead of schedule;
    ``overpaid`` is cash beyond everything owed (kept, to be refunded or offset).
    """

    paid_on: date
    amount: Decimal
    overdue_interest: Decimal
    overdue_fee: Decimal
    overdue_principal: Decimal
    interest: Decimal
    fee: Decimal
    principal: Decimal
    early_principal: Decimal
    overpaid: Decimal


@dataclass(frozen=True, slots=True)
class EarlyRepayment:
    """A surplus applied to principal on ``on``; rows after ``after_instalment`` were recomputed.

    ``balance_after`` is the principal still owed after instalment ``after_instalment``;
    ``instalments_left`` the number of rows after it in the new schedule (0: loan repaid).
    """

    on: date
    principal: Decimal
    mode: EarlyRepaymentMode
    after_instalment: int
    balance_after: Decimal
    instalments_left: int


@dataclass(frozen=True, slots=True)
class LoanState:
    """The loan as of ``as_of`` (receipts dated after it are ignored).

    ``paid_principal`` includes early repayments, so ``outstanding_principal = amount -
    paid_principal``; ``paid_total = paid_principal + paid_interest + paid_fee`` and
    ``paid_total + overpaid == received_total`` exactly.
    """

    as_of: date
    instalments: tuple[InstalmentState, ...]
    received_total: Decimal
    paid_total: Decimal
    paid_principal: Decimal
    paid_interest: Decimal
    paid_fee: Decimal
    early_principal: Decimal
    overpaid: Decimal
    outstanding_principal: Decimal
    overdue_principal: Decimal
    overdue_interest: Decimal
    overdue_fee: Decimal
    overdue_total: Decimal
    days_past_due: int
    bucket: str
    status: LoanStatus
    closed_on: date | None
    first_payment_default: bool
    next_due_date: date | None
    next_due_amount: Decimal | None
    early_repayments: tuple[EarlyRepayment, ...]
    allocations: tuple[Allocation, ...]


@dataclass(frozen=True, slots=True)
class PaymentOutcome:
    """What a new payment does: its split and the loan's state with it."""

    allocation: Allocation
    state: LoanState


def dpd_bucket(days_past_due: int) -> str:
    """Delinquency bucket; "90+" is MORE than 90 days (Russian practice), 90 itself is "61-90"."""
    if days_past_due <= 0:
        return "current"
    if days_past_due <= 30:
        return "1-30"
    if days_past_due <= 60:
        return "31-60"
    if days_past_due <= PROBLEM_DPD:
        return "61-90"
    return "90+"


@dataclass(slots=True)
class _Row:
    """Mutable working row: the schedule in force plus what has been paid against it."""

    number: int
    due: date
    principal: Decimal
    interest: Decimal
    fee: Decimal
    paid_principal: Decimal = ZERO
    paid_interest: Decimal = ZERO
    paid_fee: Decimal = ZERO
    settled_on: date | None = None

    @property
    def settled(self) -> bool:
        return (
            self.paid_principal == self.principal
            and self.paid_interest == self.interest
            and self.paid_fee == self.fee
        )


class _Day:
    """Cash of one date being allocated, with running totals per part."""

    __slots__ = ("cash", "parts")

    def __init__(self, cash: Decimal) -> None:
        self.cash = cash
        self.parts: dict[str, Decimal] = dict.fromkeys(_PARTS, ZERO)

    def take(self, row: _Row, field: str, part: str) -> None:
        """Pay as much of ``row``'s unpaid ``field`` as the cash allows."""
        due = getattr(row, field) - getattr(row, "paid_" + field)
        amount = due if due <= self.cash else self.cash
        if amount > 0:
            setattr(row, "paid_" + field, getattr(row, "paid_" + field) + amount)
            self.cash -= amount
            self.parts[part] += amount


_PARTS = (
    "overdue_interest",
    "overdue_fee",
    "overdue_principal",
    "interest",
    "fee",
    "principal",
    "early_principal",
    "overpaid",
)


def _money(value: object, name: str, *, positive: bool = False) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise LoanMathError(f"{name} must be a Decimal (got {type(value).__name__})")
    dec = Decimal(value)
    if not dec.is_finite() or dec < 0 or (positive and dec == 0):
        raise LoanMathError(f"{name} must be {'> 0' if positive else '>= 0'} (got {dec})")
    rounded = dec.quantize(CENT, rounding=ROUND_HALF_UP, context=CTX)
    if rounded != dec:
        raise LoanMathError(f"{name} must be a whole number of kopecks (got {dec})")
    return rounded


def _day(value: object, name: str) -> date:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise LoanMathError(f"{name} must be a datetime.date")
    return value


def _rows(amount: Decimal, issue_date: date, instalments: Sequence[Instalment]) -> list[_Row]:
    """Validate the contractual schedule: numbered 1..n, dated after issue, principal = amount."""
    if not instalments:
        raise LoanMathError("the schedule has no instalments")
    rows: list[_Row] = []
    prev = issue_date
    for k, inst in enumerate(instalments, start=1):
        if inst.number != k:
            raise LoanMathError(f"instalments must be numbered 1..n in order (got {inst.number} at {k})")
        due = _day(inst.due_date, "due_date")
        if due <= prev:
            raise LoanMathError(f"instalment {k} is due {due}, not after {prev}")
        prev = due
        rows.append(
            _Row(
                k,
                due,
                _money(inst.principal, "principal"),
                _money(inst.interest, "interest"),
                _money(inst.fee, "fee"),
            )
        )
    if sum((r.principal for r in rows), ZERO) != amount:
        raise LoanMathError("the instalments' principal must sum to the loan amount")
    return rows


def _by_date(receipts: Iterable[Receipt], issue_date: date, as_of: date) -> list[tuple[date, Decimal]]:
    """Receipts up to ``as_of`` summed per date, in date order (one date = one payment)."""
    days: dict[date, Decimal] = {}
    for rec in receipts:
        when = _day(rec.paid_on, "paid_on")
        cash = _money(rec.amount, "receipt amount", positive=True)
        if when < issue_date:
            raise LoanMathError(f"receipt dated {when} precedes the issue date {issue_date}")
        if when <= as_of:
            days[when] = days.get(when, ZERO) + cash
    return sorted(days.items())


def _recompute(
    rows: list[_Row],
    current: int,
    early: Decimal,
    *,
    annual_rate: Decimal,
    day_count: DayCount,
    method: Method,
    mode: EarlyRepaymentMode,
) -> None:
    """Replace the rows after ``rows[current]`` by a schedule on the reduced balance.

    The new rows keep the contractual dates, numbers and fees; the first accrues from
    the current instalment's due date (a whole scheduled period), exactly like the
    contract. ``reduce_term`` keeps the instalment (differentiated: the principal step)
    and drops the rows no longer needed; ``reduce_payment`` keeps the dates and
    recomputes it over the remaining repaying months. Grace rows left (leading
    interest-only rows) stay interest-only.
    """
    rest = rows[current + 1 :]
    balance = sum((r.principal for r in rest), ZERO) - early
    if not balance:
        del rows[current + 1 :]
        return
    body = rest[:-1]
    grace = 0
    while grace < len(body) and not body[grace].principal:
        grace += 1
    repaying = len(rest) - grace
    keep = mode is EarlyRepaymentMode.REDUCE_TERM
    instalment: Decimal | None = None
    step: Decimal | None = None
    if method is Method.ANNUITY:
        # A row that repays principal and is not clamped pays exactly A (clamped ones pay less).
        kept = max((r.principal + r.interest for r in body if r.principal), default=None)
        instalment = kept if keep and kept is not None else annuity_payment(balance, annual_rate, repaying)
    else:
        kept = max((r.principal for r in body if r.principal), default=None)
        step = (
            kept
            if keep and kept is not None
            else CTX.divide(balance, Decimal(repaying)).quantize(CENT, rounding=ROUND_HALF_UP, context=CTX)
        )
    dates = [r.due for r in rest]
    new = amortize(
        balance=balance,
        annual_rate=annual_rate,
        dates=dates,
        factors=schedule_factors(rows[current].due, dates, day_count),
        grace=grace,
        instalment=instalment,
        principal_step=step,
        fee=ZERO,
        first_number=rest[0].number,
        stop_when_paid=keep,
    )
    rows[current + 1 :] = [
        _Row(p.number, p.date, p.principal, p.interest, rest[j].fee) for j, p in enumerate(new)
    ]


def _allocate(
    rows: list[_Row],
    lo: int,
    when: date,
    cash: Decimal,
    *,
    annual_rate: Decimal,
    day_count: DayCount,
    method: Method,
    mode: EarlyRepaymentMode,
) -> tuple[Allocation, EarlyRepayment | None, int]:
    """Apply one date's cash in the bank's order (docs/servicing.md) and mark settled rows.

    ``lo`` is the first row not yet paid in full (rows before it never change again, which
    keeps a replay linear in the number of rows); the updated ``lo`` is returned.
    """
    n = len(rows)
    while lo < n and rows[lo].settled:
        lo += 1
    day = _Day(cash)
    early_event: EarlyRepayment | None = None
    j = lo
    while j < n and rows[j].due < when:
        j += 1
    overdue = [r for r in rows[lo:j] if not r.settled]
    for row in overdue:  # (1) overdue interest and fees, oldest first
        day.take(row, "interest", "overdue_interest")
        day.take(row, "fee", "overdue_fee")
    for row in overdue:  # (2) overdue principal, oldest first
        day.take(row, "principal", "overdue_principal")
    touched = overdue
    while day.cash:
        # (3)+(4) the current instalment: the first unpaid one due on or after the payment date
        while j < len(rows) and rows[j].settled:
            j += 1
        if j == len(rows):
            break
        current = j
        row = rows[current]
        touched.append(row)
        day.take(row, "interest", "interest")
        day.take(row, "fee", "fee")
        day.take(row, "principal", "principal")
        if not day.cash:
            break
        ahead = sum((r.principal for r in rows[current + 1 :]), ZERO)
        if not ahead:
            continue  # only fee rows are left after it: pay them in turn, then overpaid
        # (5) early repayment of principal, effective from the current instalment's due date
        early = ahead if day.cash >= ahead else day.cash
        day.cash -= early
        day.parts["early_principal"] += early
        _recompute(
            rows, current, early, annual_rate=annual_rate, day_count=day_count, method=method, mode=mode
        )
        early_event = EarlyRepayment(when, early, mode, row.number, ahead - early, len(rows) - current - 1)
        break
    day.parts["overpaid"] += day.cash
    for r in touched:
        if r.settled_on is None and r.settled:
            r.settled_on = when
    return Allocation(when, cash, **day.parts), early_event, lo


def _coerce(
    day_count: DayCount | str, early_mode: EarlyRepaymentMode | str, method: Method | str
) -> tuple[DayCount, EarlyRepaymentMode, Method]:
    try:
        return DayCount(day_count), EarlyRepaymentMode(early_mode), Method(method)
    except ValueError as exc:
        raise LoanMathError(str(exc)) from exc


def _row_status(row: _Row, as_of: date) -> InstalmentStatus:
    if row.settled:
        return "paid"
    if row.due < as_of:
        return "overdue"
    if row.due == as_of:
        return "due"
    if row.paid_principal or row.paid_interest or row.paid_fee:
        return "partly_paid"
    return "future"


def loan_state(
    *,
    amount: Decimal,
    annual_rate: Decimal,
    issue_date: date,
    day_count: DayCount | str,
    instalments: Sequence[Instalment],
    receipts: Sequence[Receipt],
    as_of: date,
    early_mode: EarlyRepaymentMode | str = EarlyRepaymentMode.REDUCE_TERM,
    method: Method | str = Method.ANNUITY,
) -> LoanState:
    """Replay ``receipts`` dated up to ``as_of`` against the schedule; the loan as of that date.

    ``instalments`` is the contractual schedule (e.g. ``build_schedule(...).payments``);
    early repayments recompute it here, so the caller never stores a revised schedule to
    get a past state. ``method`` tells what ``reduce_term`` keeps (the annuity instalment
    or the differentiated principal step). Invalid input raises :class:`LoanMathError`.
    """
    amount = _money(amount, "amount", positive=True)
    if isinstance(annual_rate, bool) or not isinstance(annual_rate, Decimal | int) or annual_rate < 0:
        raise LoanMathError(f"annual_rate must be a Decimal >= 0 (got {annual_rate!r})")
    rate = Decimal(annual_rate)
    issue_date = _day(issue_date, "issue_date")
    as_of = _day(as_of, "as_of")
    if as_of < issue_date:
        raise LoanMathError(f"as_of {as_of} precedes the issue date {issue_date}")
    dc, mode, how = _coerce(day_count, early_mode, method)
    rows = _rows(amount, issue_date, instalments)
    allocations: list[Allocation] = []
    events: list[EarlyRepayment] = []
    lo = 0
    with localcontext(CTX):
        for when, cash in _by_date(receipts, issue_date, as_of):
            alloc, event, lo = _allocate(
                rows, lo, when, cash, annual_rate=rate, day_count=dc, method=how, mode=mode
            )
            allocations.append(alloc)
            if event is not None:
                events.append(event)
        return _summarise(amount, as_of, rows, allocations, events)


def _summarise(
    amount: Decimal,
    as_of: date,
    rows: list[_Row],
    allocations: list[Allocation],
    events: list[EarlyRepayment],
) -> LoanState:
    """Totals, delinquency and status of the replayed rows as of ``as_of``."""
    states = tuple(
        InstalmentState(
            r.number,
            r.due,
            r.principal,
            r.interest,
            r.fee,
            r.principal + r.interest + r.fee,
            r.paid_principal,
            r.paid_interest,
            r.paid_fee,
            r.paid_principal + r.paid_interest + r.paid_fee,
            _row_status(r, as_of),
            r.settled_on,
        )
        for r in rows
    )
    early = sum((e.principal for e in events), ZERO)
    paid_principal = sum((r.paid_principal for r in rows), ZERO) + early
    paid_interest = sum((r.paid_interest for r in rows), ZERO)
    paid_fee = sum((r.paid_fee for r in rows), ZERO)
    late = [r for r in rows if r.due < as_of and not r.settled]
    overdue_principal = sum((r.principal - r.paid_principal for r in late), ZERO)
    overdue_interest = sum((r.interest - r.paid_interest for r in late), ZERO)
    overdue_fee = sum((r.fee - r.paid_fee for r in late), ZERO)
    dpd = (as_of - late[0].due).days if late else 0
    closed = all(r.settled for r in rows)
    first = rows[0]
    fpd_day = first.due + timedelta(days=FPD_DAYS)
    fpd = as_of >= fpd_day and (
        not first.settled or (first.settled_on is not None and first.settled_on > fpd_day)
    )
    upcoming = next((r for r in rows if r.due >= as_of and not r.settled), None)
    status: LoanStatus = "closed" if closed else ("problem" if dpd > PROBLEM_DPD else "active")
    return LoanState(
        as_of=as_of,
        instalments=states,
        received_total=sum((a.amount for a in allocations), ZERO),
        paid_total=paid_principal + paid_interest + paid_fee,
        paid_principal=paid_principal,
        paid_interest=paid_interest,
        paid_fee=paid_fee,
        early_principal=early,
        overpaid=sum((a.overpaid for a in allocations), ZERO),
        outstanding_principal=amount - paid_principal,
        overdue_principal=overdue_principal,
        overdue_interest=overdue_interest,
        overdue_fee=overdue_fee,
        overdue_total=overdue_principal + overdue_interest + overdue_fee,
        days_past_due=dpd,
        bucket=dpd_bucket(dpd),
        status=status,
        closed_on=max((r.settled_on for r in rows if r.settled_on is not None), default=None)
        if closed
        else None,
        first_payment_default=fpd,
        next_due_date=None if upcoming is None else upcoming.due,
        next_due_amount=None
        if upcoming is None
        else upcoming.principal
        + upcoming.interest
        + upcoming.fee
        - upcoming.paid_principal
        - upcoming.paid_interest
        - upcoming.paid_fee,
        early_repayments=tuple(events),
        allocations=tuple(allocations),
    )


def allocate_payment(
    *,
    amount: Decimal,
    annual_rate: Decimal,
    issue_date: date,
    day_count: DayCount | str,
    instalments: Sequence[Instalment],
    receipts: Sequence[Receipt],
    payment: Receipt,
    as_of: date | None = None,
    early_mode: EarlyRepaymentMode | str = EarlyRepaymentMode.REDUCE_TERM,
    method: Method | str = Method.ANNUITY,
) -> PaymentOutcome:
    """What ``payment`` does to the loan: the change in each part, and the state with it.

    The split is the difference of the cumulative allocations with and without the
    payment, both as of ``as_of`` (default: the latest receipt date, so every receipt
    counts). For a payment dated on or after the other receipts that is exactly its own
    allocation; a back-dated one re-allocates later receipts, so a part may be negative,
    but the parts always sum to ``payment.amount``.
    """
    latest = max([r.paid_on for r in receipts] + [payment.paid_on])
    when = latest if as_of is None else as_of
    if when < payment.paid_on:
        raise LoanMathError(f"as_of {when} precedes the payment date {payment.paid_on}")

    def state(rs: Sequence[Receipt]) -> LoanState:
        return loan_state(
            amount=amount,
            annual_rate=annual_rate,
            issue_date=issue_date,
            day_count=day_count,
            instalments=instalments,
            receipts=rs,
            as_of=when,
            early_mode=early_mode,
            method=method,
        )

    before = state(receipts)
    after = state([*receipts, payment])
    with localcontext(CTX):
        parts = {
            name: sum((getattr(a, name) for a in after.allocations), ZERO)
            - sum((getattr(a, name) for a in before.allocations), ZERO)
            for name in _PARTS
        }
    return PaymentOutcome(
        Allocation(payment.paid_on, _money(payment.amount, "amount", positive=True), **parts), after
    )
