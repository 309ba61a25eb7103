"""Disbursement and servicing: the loan's state is a pure function of its schedule, its
receipts and a date (``app.loans.servicing``); the row keeps the latest status for SQL."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app import loanmath
from app.applications import service as applications
from app.audit import service as audit
from app.core.context import Context
from app.core.errors import Conflict, Unprocessable
from app.core.pagination import PageRequest, encode_cursor, int_position
from app.core.scope import get_visible
from app.core.security import Principal
from app.loans import repository, servicing
from app.loans.table import LoanInstalmentRow, LoanPaymentRow, LoanRow
from schemas.loans import InstalmentView, Loan, LoanStatus, LoanSummary, Reminder

FPD_DAYS = timedelta(days=30)


def disburse(*, session: Session, application_id: int, ctx: Context) -> Loan:
    row = applications.get_row(session, application_id, ctx.principal, lock=True)
    applications.transition(session, row, "disburse", ctx, None)
    contract = row.contract
    assert contract is not None and row.id is not None and row.annual_rate is not None
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
        issue_date=date.fromisoformat(contract["issue_date"]),
        pd_at_issue=float(row.pd or 0),
        grade_at_issue=row.grade or "",
        psk_percent=Decimal(contract["psk_percent"]),
        fpd_deadline=date.fromisoformat(contract["payments"][0]["date"]) + FPD_DAYS,
    )
    session.add(loan)
    try:
        session.flush()
    except IntegrityError as exc:  # a concurrent disbursement won the race
        raise Conflict(f"Application {application_id} has already been disbursed.") from exc
    assert loan.id is not None
    row.loan_id = loan.id
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
    audit.record(
        session,
        actor=ctx.principal.actor,
        action="loan.disbursed",
        entity="loan",
        entity_id=loan.id,
        detail={"application_id": application_id, "amount": format(loan.amount, "f")},
    )
    session.flush()
    return view(session, loan, as_of=ctx.today)


def get_row(session: Session, loan_id: int, principal: Principal, *, lock: bool = False) -> LoanRow:
    return get_visible(session, LoanRow, loan_id, principal, what="loan", lock=lock)


def state(session: Session, loan: LoanRow, *, as_of: date) -> servicing.LoanState:
    assert loan.id is not None
    instalments = [
        servicing.Instalment(
            number=i.number, due_date=i.due_date, principal=i.principal, interest=i.interest, fee=i.fee
        )
        for i in repository.instalments_of(session, loan.id)
    ]
    receipts = [
        servicing.Receipt(paid_on=p.paid_on, amount=p.amount)
        for p in repository.receipts_of(session, loan.id, up_to=as_of)
    ]
    return servicing.loan_state(
        amount=loan.amount,
        annual_rate=loan.annual_rate,
        issue_date=loan.issue_date,
        day_count=loanmath.DayCount(loan.day_count),
        instalments=instalments,
        receipts=receipts,
        as_of=as_of,
    )


def view(session: Session, loan: LoanRow, *, as_of: date) -> Loan:
    s = state(session, loan, as_of=as_of)
    assert loan.id is not None
    return Loan(
        id=loan.id,
        application_id=loan.application_id,
        product_code=loan.product_code,
        manager_id=loan.manager_id,
        channel=loan.channel,
        branch_id=loan.branch_id,
        partner_id=loan.partner_id,
        amount=loan.amount,
        annual_rate=loan.annual_rate,
        term_months=loan.term_months,
        issue_date=loan.issue_date,
        psk_percent=format(loan.psk_percent.quantize(Decimal("0.001")), "f"),
        pd_at_issue=loan.pd_at_issue,
        grade_at_issue=loan.grade_at_issue,
        as_of=as_of,
        status=LoanStatus(s.status),
        days_past_due=s.days_past_due,
        bucket=s.bucket,
        paid_total=s.paid_total,
        paid_principal=s.paid_principal,
        paid_interest=s.paid_interest,
        outstanding_principal=s.outstanding_principal,
        overdue_total=s.overdue_total,
        next_due_date=s.next_due_date,
        next_due_amount=s.next_due_amount,
        first_payment_default=s.first_payment_default,
        schedule=[
            InstalmentView(
                number=i.number,
                due_date=i.due_date,
                principal=i.principal,
                interest=i.interest,
                fee=i.fee,
                payment=i.payment,
                paid=i.paid,
                status=i.status,
            )
            for i in s.instalments
        ],
    )


def get(*, session: Session, loan_id: int, principal: Principal, as_of: date) -> Loan:
    loan = get_row(session, loan_id, principal)
    if as_of < loan.issue_date:
        raise Unprocessable(
            f"as_of precedes the loan's issue date {loan.issue_date}",
            errors=[{"parameter": "as_of", "detail": "before the issue date"}],
        )
    return view(session, loan, as_of=as_of)


def pay(*, session: Session, loan_id: int, amount: Decimal, paid_on: date, ctx: Context) -> Loan:
    loan = get_row(session, loan_id, ctx.principal, lock=True)
    if paid_on < loan.issue_date:
        raise Unprocessable(
            "paid_on precedes the issue date", errors=[{"pointer": "#/paid_on", "detail": "before issue"}]
        )
    if paid_on > ctx.today:
        raise Unprocessable(
            "paid_on is in the future", errors=[{"pointer": "#/paid_on", "detail": "in the future"}]
        )
    before = state(session, loan, as_of=max(paid_on, ctx.today))
    if before.status == LoanStatus.CLOSED.value:
        raise Conflict(f"Loan {loan_id} is closed.")
    assert loan.id is not None
    session.add(LoanPaymentRow(loan_id=loan.id, amount=amount, paid_on=paid_on))
    session.flush()
    after = state(session, loan, as_of=ctx.today)
    loan.status, loan.closed_on = after.status, after.closed_on
    loan.first_payment_default = after.first_payment_default
    session.add(loan)
    audit.record(
        session,
        actor=ctx.principal.actor,
        action="loan.payment",
        entity="loan",
        entity_id=loan.id,
        detail={"amount": format(amount, "f"), "paid_on": paid_on.isoformat()},
    )
    session.flush()
    return view(session, loan, as_of=ctx.today)


_KIND = "loans"


def summaries(
    *,
    session: Session,
    principal: Principal,
    page: PageRequest,
    manager_id: str | None,
    status: str | None,
    bucket: str | None,
    as_of: date,
) -> tuple[list[LoanSummary], str | None]:
    out: list[LoanSummary] = []
    limit = page.limit
    cursor = int_position(_KIND, page.cursor)
    # Status and bucket depend on the date, so filter after computing each loan's state.
    while len(out) < limit:
        rows = repository.page(
            session, principal, limit=limit, after_id=cursor, manager_id=manager_id, status=None
        )
        if not rows:
            break
        for loan in rows:
            cursor = loan.id
            if as_of < loan.issue_date:
                continue  # not yet issued on that date
            s = state(session, loan, as_of=as_of)
            if (status and s.status != status) or (bucket and s.bucket != bucket):
                continue
            assert loan.id is not None
            out.append(
                LoanSummary(
                    id=loan.id,
                    application_id=loan.application_id,
                    product_code=loan.product_code,
                    manager_id=loan.manager_id,
                    amount=loan.amount,
                    issue_date=loan.issue_date,
                    status=LoanStatus(s.status),
                    days_past_due=s.days_past_due,
                    bucket=s.bucket,
                    outstanding_principal=s.outstanding_principal,
                )
            )
            if len(out) == limit:
                break
    return out, (encode_cursor(_KIND, [out[-1].id]) if len(out) == limit else None)


def reminders(*, session: Session, principal: Principal, within_days: int, today: date) -> list[Reminder]:
    end = today + timedelta(days=within_days)
    seen: set[int] = set()
    out = []
    for loan, _ in repository.due_between(session, principal, today, end):
        if loan.id in seen or loan.id is None:
            continue
        seen.add(loan.id)
        s = state(session, loan, as_of=today)
        if s.status == LoanStatus.CLOSED.value or s.next_due_date is None or s.next_due_date > end:
            continue
        application = applications.get_row(session, loan.application_id, principal)
        out.append(
            Reminder(
                loan_id=loan.id,
                due_date=s.next_due_date,
                amount=s.next_due_amount or Decimal(0),
                borrower_name=application.full_name,
                phone=application.phone,
                manager_id=loan.manager_id,
            )
        )
    return out
