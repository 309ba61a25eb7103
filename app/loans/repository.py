"""Queries on one loan's rows: its schedule, receipts and the borrower's applications."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.loans.table import EarlyRepaymentRow, LoanInstalmentRow, LoanPaymentRow, LoanRow, PaymentHolidayRow


def instalments_of(session: Session, loan_id: int) -> list[LoanInstalmentRow]:
    """The contractual schedule (revision 0); revisions are replayed by servicing."""
    return list(
        session.exec(
            select(LoanInstalmentRow)
            .where(LoanInstalmentRow.loan_id == loan_id, LoanInstalmentRow.revision == 0)
            .order_by(col(LoanInstalmentRow.number))
        ).all()
    )


def receipts_of(session: Session, loan_id: int) -> list[LoanPaymentRow]:
    query = select(LoanPaymentRow).where(LoanPaymentRow.loan_id == loan_id)
    return list(session.exec(query.order_by(col(LoanPaymentRow.paid_on), col(LoanPaymentRow.id))).all())


def early_repayments_of(session: Session, loan_id: int) -> list[EarlyRepaymentRow]:
    query = select(EarlyRepaymentRow).where(EarlyRepaymentRow.loan_id == loan_id)
    return list(session.exec(query.order_by(col(EarlyRepaymentRow.on), col(EarlyRepaymentRow.id))).all())


def holidays_of(session: Session, loan_id: int) -> list[PaymentHolidayRow]:
    query = select(PaymentHolidayRow).where(PaymentHolidayRow.loan_id == loan_id)
    return list(session.exec(query.order_by(col(PaymentHolidayRow.start), col(PaymentHolidayRow.id))).all())


def count(session: Session) -> int:
    return int(session.exec(select(func.count()).select_from(LoanRow)).one())
