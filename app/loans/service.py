"""Disbursement and servicing writes. The state of a loan is a replay of its contract and
history by the one servicing engine (``app.servicing``); every write stores the replayed
state on the loan row in its own transaction (``app.loans.stored_state``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app import loanmath
from app.applications import service as applications
from app.applications.table import ApplicationRow
from app.audit import service as audit
from app.core.clock import utcnow
from app.core.context import Context
from app.core.errors import Conflict, Unprocessable
from app.core.scope import get_visible
from app.core.security import Principal
from app.loanmath import DayCount, EarlyRepaymentMode, LoanMathError, Method
from app.loans import cooling_off, early_repayment_notice, repository, stored_state, views
from app.loans.history import load, state_of, up_to
from app.loans.table import EarlyRepaymentRow, LoanInstalmentRow, LoanPaymentRow, LoanRow, PaymentHolidayRow
from app.products.table import ProductRow
from app.servicing import FPD_DAYS, LoanState, payoff, payoff_of, replay
from schemas.loans import (
    EarlyRepaymentIn,
    EarlyRepaymentOut,
    HolidayIn,
    Loan,
    LoanAfterPayment,
    LoanStatus,
    PaymentList,
    Payoff,
)

#: 353-FZ art. 6.1-2: credit holidays of up to six months
MAX_HOLIDAY_MONTHS = 6
#: the government's ceiling for a consumer loan's holidays when the product names none
DEFAULT_HOLIDAY_LIMIT = Decimal(450_000)


def _redated(row: ApplicationRow, contract: dict[str, Any], issue: date) -> dict[str, Any]:
    """The signed terms dated from the day the money is paid out: a later payout re-dates the
    schedule (same terms, new dates), never a schedule that started before the money existed."""
    if contract["issue_date"] == issue.isoformat():
        return contract
    assert row.annual_rate is not None
    schedule = loanmath.build_schedule(
        loanmath.LoanTerms(
            amount=row.amount,
            annual_rate=row.annual_rate,
            term_months=row.term_months,
            issue_date=issue,
            method=Method(contract["method"]),
            day_count=DayCount(contract["day_count"]),
        )
    )
    return {
        **contract,
        "issue_date": issue.isoformat(),
        "redated_from": contract["issue_date"],
        "regular_payment": None if schedule.regular_payment is None else format(schedule.regular_payment, "f"),
        "psk_percent": format(schedule.psk_percent, "f"),
        "psk_amount": format(schedule.psk_amount, "f"),
        "total_payments": format(schedule.total_payments, "f"),
        "payments": [
            {
                "number": p.number,
                "date": p.date.isoformat(),
                "principal": format(p.principal, "f"),
                "interest": format(p.interest, "f"),
                "fee": format(p.fee, "f"),
                "payment": format(p.payment, "f"),
                "balance": format(p.balance, "f"),
            }
            for p in schedule.payments
        ],
    }


@contextmanager
def _refused_at(pointer: str) -> Iterator[None]:
    """What the engine cannot book in the history just written is the caller's 422 at ``pointer``
    (the session dependency then rolls the write back)."""
    try:
        yield
    except LoanMathError as exc:
        raise Unprocessable(str(exc), errors=[{"pointer": pointer, "detail": str(exc)}]) from exc


def disburse(*, session: Session, application_id: int, ctx: Context) -> Loan:
    row = applications.get_row(session, application_id, ctx.principal, lock=True)
    product = session.get(ProductRow, row.product_code)
    assert product is not None
    signed_at = (row.contract or {}).get("signed_at")
    if signed_at is not None and row.status == "signed":
        ready = cooling_off.not_before(
            signed_at=datetime.fromisoformat(str(signed_at)),
            amount=row.amount,
            product_applies=product.cooling_off,
            channel=row.channel,
        )
        if utcnow() < ready:
            raise Conflict(
                f"The cooling-off period (353-FZ art. 7 part 9.3) runs until {ready.isoformat()}: the loan "
                "cannot be paid out before then; the borrower may still withdraw at no cost.",
                headers={"Retry-After": str(max(1, int((ready - utcnow()).total_seconds())))},
                not_before=ready.isoformat(),
            )
    applications.transition(session, row, "disburse", ctx, None)
    assert row.id is not None and row.annual_rate is not None and row.contract is not None
    contract = _redated(row, row.contract, ctx.today)
    first_due = date.fromisoformat(contract["payments"][0]["date"])
    loan = LoanRow(
        application_id=row.id,
        product_code=row.product_code,
        manager_id=row.manager_id,
        channel=row.channel,
        branch_id=row.branch_id,
        partner_id=row.partner_id,
        amount=row.amount,
        annual_rate=row.annual_rate,
        term_months=row.term_months,
        method=contract["method"],
        day_count=contract["day_count"],
        issue_date=ctx.today,
        pd_at_issue=float(row.pd or 0),
        grade_at_issue=row.grade or "",
        psk_percent=Decimal(contract["psk_percent"]),
        penalty_rate=product.penalty_rate,
        penalty_basis=product.penalty_basis,
        targeted=product.targeted,
        pdn=row.pdn,
        fpd_deadline=first_due + timedelta(days=FPD_DAYS),
        state_date=ctx.today,
        first_due_date=first_due,
        period_start=ctx.today,
        principal_outstanding=row.amount,
        interest_base=row.amount,
    )
    session.add(loan)
    try:
        session.flush()
    except IntegrityError as exc:  # a concurrent disbursement won the race
        raise Conflict(f"Application {application_id} has already been disbursed.") from exc
    assert loan.id is not None
    row.loan_id = loan.id
    if contract is not row.contract:
        row.contract = contract
    session.add(row)
    for p in contract["payments"]:
        session.add(
            LoanInstalmentRow(
                loan_id=loan.id,
                number=p["number"],
                due_date=date.fromisoformat(p["date"]),
                principal=Decimal(p["principal"]),
                interest=Decimal(p["interest"]),
                fee=Decimal(p["fee"]),
            )
        )
    session.flush()
    state = stored_state.refresh(session, loan, business_date=ctx.today)
    audit.record(
        session,
        actor=ctx.principal.actor,
        action="loan.disbursed",
        entity="loan",
        entity_id=loan.id,
        detail={"application_id": application_id, "amount": format(loan.amount, "f")},
    )
    session.flush()
    return views.loan(loan, state)


def get_row(session: Session, loan_id: int, principal: Principal, *, lock: bool = False) -> LoanRow:
    return get_visible(session, LoanRow, loan_id, principal, what="loan", lock=lock)


def _view(session: Session, loan: LoanRow, state: LoanState) -> Loan:
    assert loan.id is not None
    return views.loan(
        loan,
        state,
        early=repository.early_repayments_of(session, loan.id),
        holidays=repository.holidays_of(session, loan.id),
    )


def _not_before_issue(loan: LoanRow, day: date, name: str, *, query: bool = False) -> None:
    if day < loan.issue_date:
        where = {"parameter": name} if query else {"pointer": f"#/{name}"}
        raise Unprocessable(
            f"{name} {day} precedes the loan's issue date {loan.issue_date}",
            errors=[{**where, "detail": "before the issue date"}],
        )


def get(*, session: Session, loan_id: int, principal: Principal, as_of: date) -> Loan:
    loan = get_row(session, loan_id, principal)
    _not_before_issue(loan, as_of, "as_of", query=True)
    return _view(session, loan, state_of(session, loan, as_of=as_of))


def payments(*, session: Session, loan_id: int, principal: Principal, as_of: date) -> PaymentList:
    """Every payment received up to ``as_of`` and where each rouble of it went."""
    loan = get_row(session, loan_id, principal)
    _not_before_issue(loan, as_of, "as_of", query=True)
    state = state_of(session, loan, as_of=as_of)
    assert loan.id is not None
    rows = [r for r in repository.receipts_of(session, loan.id) if r.paid_on <= as_of]
    return PaymentList(
        items=[views.payment(r, state) for r in rows], received_total=state.received_total, advance=state.advance
    )


def _payoff(session: Session, loan: LoanRow, on: date) -> Payoff:
    assert loan.id is not None
    terms, schedule, history = load(session, [loan])[loan.id]
    return views.payoff(payoff(terms, schedule, up_to(history, on), on=on))


def get_payoff(*, session: Session, loan_id: int, principal: Principal, on: date, today: date) -> Payoff:
    loan = get_row(session, loan_id, principal)
    if on < today:
        raise Unprocessable(
            f"on must be the business date {today} or later",
            errors=[{"parameter": "on", "detail": "before the business date"}],
        )
    return _payoff(session, loan, on)


def pay(*, session: Session, loan_id: int, amount: Decimal, paid_on: date, ctx: Context) -> LoanAfterPayment:
    loan = get_row(session, loan_id, ctx.principal, lock=True)
    _not_before_issue(loan, paid_on, "paid_on")
    if paid_on > ctx.today:
        raise Unprocessable(
            f"paid_on {paid_on} is after the business date {ctx.today}",
            errors=[{"pointer": "#/paid_on", "detail": "in the future"}],
        )
    assert loan.id is not None
    terms, schedule, history = load(session, [loan])[loan.id]
    before = replay(terms, schedule, up_to(history, paid_on), as_of=paid_on)
    if before.status == LoanStatus.CLOSED.value:
        raise Conflict(f"Loan {loan_id} is closed.")
    owed = views.payoff(payoff_of(before))
    if amount > owed.to_pay:
        raise Unprocessable(
            f"The payment of {amount} exceeds the {owed.to_pay} that closes the loan on {paid_on} "
            f"(principal {owed.principal}, interest {owed.interest}, penalty {owed.penalty}, fees {owed.fees}, "
            f"already held {owed.advance}).",
            errors=[{"pointer": "#/amount", "detail": f"at most {owed.to_pay}"}],
            payoff=format(owed.to_pay, "f"),
        )
    receipt = LoanPaymentRow(loan_id=loan.id, amount=amount, paid_on=paid_on)
    session.add(receipt)
    session.flush()
    assert receipt.id is not None
    state = stored_state.refresh(session, loan, business_date=ctx.today)
    audit.record(
        session,
        actor=ctx.principal.actor,
        action="loan.payment",
        entity="loan",
        entity_id=loan.id,
        detail={"amount": format(amount, "f"), "paid_on": paid_on.isoformat()},
    )
    session.flush()
    view = _view(session, loan, state)
    return LoanAfterPayment(**view.model_dump(), payment=views.payment(receipt, state))


def _product(session: Session, loan: LoanRow) -> ProductRow:
    product = session.get(ProductRow, loan.product_code)
    assert product is not None
    return product


def apply_early_repayment(
    *, session: Session, loan_id: int, body: EarlyRepaymentIn, ctx: Context
) -> EarlyRepaymentOut:
    """Record the borrower's application; it runs on its date with the money the loan holds."""
    loan = get_row(session, loan_id, ctx.principal, lock=True)
    if body.on < ctx.today:
        raise Unprocessable(
            f"on {body.on} is before the business date {ctx.today}",
            errors=[{"pointer": "#/on", "detail": "before the business date"}],
        )
    assert loan.id is not None
    if loan.status == LoanStatus.CLOSED.value:
        raise Conflict(f"Loan {loan_id} is closed.")
    product = _product(session, loan)
    first = early_repayment_notice.first_allowed(
        issue_date=loan.issue_date,
        applied_on=ctx.today,
        full=body.amount is None,
        targeted=loan.targeted,
        notice_days=product.early_repayment_notice_days,
    )
    if body.on < first:
        raise Unprocessable(
            f"The product requires {product.early_repayment_notice_days} days' notice (353-FZ art. 11 part 2): "
            f"the first allowed date is {first}.",
            errors=[{"pointer": "#/on", "detail": f"on or after {first}"}],
            first_allowed=first.isoformat(),
        )
    owed = _payoff(session, loan, body.on)
    if body.amount is not None and body.amount > owed.total:
        raise Unprocessable(
            f"The amount {body.amount} exceeds the {owed.total} that closes the loan on {body.on}; "
            "omit the amount to repay in full.",
            errors=[{"pointer": "#/amount", "detail": f"at most {owed.total}"}],
            payoff=format(owed.total, "f"),
        )
    request = EarlyRepaymentRow(
        loan_id=loan.id, applied_on=ctx.today, on=body.on, amount=body.amount, mode=EarlyRepaymentMode(body.mode).value
    )
    session.add(request)
    session.flush()
    with _refused_at("#/on"):  # the application runs on its date: replay to it, once
        state = stored_state.refresh(session, loan, business_date=ctx.today)
        on_date = state_of(session, loan, as_of=body.on) if body.on > ctx.today else state
    audit.record(
        session,
        actor=ctx.principal.actor,
        action="loan.early_repayment_applied",
        entity="loan",
        entity_id=loan.id,
        detail={"on": body.on.isoformat(), "amount": None if body.amount is None else format(body.amount, "f"),
                "mode": request.mode},
    )
    session.flush()
    return EarlyRepaymentOut(
        early_repayment=views.early_repayment(request, on_date, today=ctx.today),
        payoff=owed,
        loan=_view(session, loan, on_date),
    )


def grant_holiday(*, session: Session, loan_id: int, body: HolidayIn, ctx: Context) -> Loan:
    """Credit holidays on the borrower's demand (353-FZ art. 6.1-2)."""
    loan = get_row(session, loan_id, ctx.principal, lock=True)
    if body.start < ctx.today:
        raise Unprocessable(
            f"from {body.start} is before the business date {ctx.today}",
            errors=[{"pointer": "#/from", "detail": "before the business date"}],
        )
    if loan.status == LoanStatus.CLOSED.value:
        raise Conflict(f"Loan {loan_id} is closed.")
    product = _product(session, loan)
    limit = product.holiday_amount_limit or DEFAULT_HOLIDAY_LIMIT
    if loan.amount > limit:
        raise Conflict(
            f"The loan's amount {loan.amount} is above the {limit} limit for credit holidays on this product "
            "(353-FZ art. 6.1-2; Government decree)."
        )
    assert loan.id is not None
    granted = repository.holidays_of(session, loan.id)
    if granted:
        h = granted[0]
        raise Conflict(f"Loan {loan_id} already has credit holidays from {h.start} for {h.months} months.")
    holiday = PaymentHolidayRow(loan_id=loan.id, applied_on=ctx.today, start=body.start, months=body.months)
    session.add(holiday)
    session.flush()
    with _refused_at("#/from"):  # the engine checks every holiday of the history, whatever the date
        state = stored_state.refresh(session, loan, business_date=ctx.today)
    audit.record(
        session,
        actor=ctx.principal.actor,
        action="loan.holiday_granted",
        entity="loan",
        entity_id=loan.id,
        detail={"from": body.start.isoformat(), "months": body.months},
    )
    session.flush()
    return _view(session, loan, state)

