"""The credit agreement: issued from the approved terms, signed, read back."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from app import loanmath
from app.applications import repository
from app.applications.table import ApplicationRow
from app.applications.transitions import get_row, transition
from app.core.clock import utcnow
from app.core.context import Context
from app.core.errors import NotFound
from app.core.security import Principal
from schemas.applications import Application


def contract_terms(row: ApplicationRow, issue_date: date) -> loanmath.LoanTerms:
    assert row.annual_rate is not None
    return loanmath.LoanTerms(
        amount=row.amount, annual_rate=row.annual_rate, term_months=row.term_months, issue_date=issue_date
    )


def issue_contract(*, session: Session, application_id: int, ctx: Context) -> Application:
    row = get_row(session, application_id, ctx.principal, lock=True)
    transition(session, row, "issue_contract", ctx, None)
    schedule = loanmath.build_schedule(contract_terms(row, ctx.today))
    row.contract = {
        "issue_date": ctx.today.isoformat(),
        "annual_rate": format(row.annual_rate, "f"),
        "method": "annuity",
        "day_count": "30/360",
        "regular_payment": format(schedule.regular_payment, "f"),
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
        "issued_at": utcnow().isoformat(),
    }
    session.flush()
    return repository.to_schema(session, row)


def sign(*, session: Session, application_id: int, ctx: Context) -> Application:
    row = get_row(session, application_id, ctx.principal, lock=True)
    transition(session, row, "sign", ctx, None)
    assert row.contract is not None
    row.contract = {**row.contract, "signed_at": utcnow().isoformat()}
    session.flush()
    return repository.to_schema(session, row)


def get_contract_row(*, session: Session, application_id: int, principal: Principal) -> ApplicationRow:
    row = get_row(session, application_id, principal)
    if row.contract is None:
        raise NotFound(f"Application {application_id} has no contract yet.")
    return row
