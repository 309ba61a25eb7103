"""Queries on loans: one loan with its schedule and receipts, scoped pages, due instalments."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.core.scope import restrict
from app.core.security import Principal
from app.loans.table import LoanInstalmentRow, LoanPaymentRow, LoanRow


def instalments_of(session: Session, loan_id: int) -> list[LoanInstalmentRow]:
    """The contractual schedule (revision 0); early repayments are recomputed by servicing."""
    return list(
        session.exec(
            select(LoanInstalmentRow)
            .where(LoanInstalmentRow.loan_id == loan_id, LoanInstalmentRow.revision == 0)
            .order_by(col(LoanInstalmentRow.number))
        ).all()
    )


def receipts_of(session: Session, loan_id: int, *, up_to: date | None = None) -> list[LoanPaymentRow]:
    query = select(LoanPaymentRow).where(LoanPaymentRow.loan_id == loan_id)
    if up_to is not None:
        query = query.where(LoanPaymentRow.paid_on <= up_to)
    return list(session.exec(query.order_by(col(LoanPaymentRow.paid_on), col(LoanPaymentRow.id))).all())


def page(
    session: Session,
    principal: Principal,
    *,
    limit: int,
    after_id: int | None,
    manager_id: str | None,
    status: str | None,
) -> list[LoanRow]:
    query = restrict(select(LoanRow), principal, LoanRow)
    if manager_id:
        query = query.where(LoanRow.manager_id == manager_id)
    if status:
        query = query.where(LoanRow.status == status)
    if after_id is not None:
        query = query.where(col(LoanRow.id) > after_id)
    return list(session.exec(query.order_by(col(LoanRow.id)).limit(limit)).all())


def due_between(
    session: Session, principal: Principal, start: date, end: date
) -> list[tuple[LoanRow, LoanInstalmentRow]]:
    """Open loans with a contractual instalment due in [start, end]."""
    query = (
        select(LoanRow, LoanInstalmentRow)
        .join(LoanInstalmentRow, col(LoanInstalmentRow.loan_id) == col(LoanRow.id))
        .where(
            LoanInstalmentRow.revision == 0,
            col(LoanInstalmentRow.due_date) >= start,
            col(LoanInstalmentRow.due_date) <= end,
            LoanRow.status != "closed",
        )
        .order_by(col(LoanInstalmentRow.due_date), col(LoanRow.id))
    )
    return list(session.exec(restrict(query, principal, LoanRow)).all())


def count(session: Session) -> int:
    return int(session.exec(select(func.count()).select_from(LoanRow)).one())
