"""Lists of the book: loans and payment reminders, one query per page whatever the book's size.

On the business date they read the stored state (kept by every write and by the close of
business); for any other date the page's loans are replayed (the slow path, documented in
docs/servicing.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlmodel import Session, col, select

from app.applications.table import ApplicationRow
from app.core.errors import Unprocessable
from app.core.pagination import PageRequest, decode_cursor, encode_cursor, int_position
from app.core.scope import restrict
from app.core.security import Principal
from app.loans.history import state_of
from app.loans.table import LoanRow
from schemas.loans import LoanStatus, LoanSummary, Reminder

_LOANS = "loans"
_REMINDERS = "reminders"


@dataclass(frozen=True, slots=True)
class LoanFilters:
    manager_id: str | None = None
    branch_id: str | None = None
    partner_id: str | None = None
    status: str | None = None
    bucket: str | None = None
    due_from: date | None = None
    due_to: date | None = None
    overdue: bool | None = None


def _where(query: Any, f: LoanFilters, *, stored: bool) -> Any:
    if f.manager_id:
        query = query.where(LoanRow.manager_id == f.manager_id)
    if f.branch_id:
        query = query.where(LoanRow.branch_id == f.branch_id)
    if f.partner_id:
        query = query.where(LoanRow.partner_id == f.partner_id)
    if stored:
        if f.status:
            query = query.where(LoanRow.status == f.status)
        if f.bucket:
            query = query.where(LoanRow.bucket == f.bucket)
        if f.overdue is True:
            query = query.where(col(LoanRow.days_past_due) > 0)
        elif f.overdue is False:
            query = query.where(LoanRow.days_past_due == 0)
        if f.due_from:
            query = query.where(col(LoanRow.next_due_date) >= f.due_from)
        if f.due_to:
            query = query.where(col(LoanRow.next_due_date) <= f.due_to)
    return query


def _summary(loan: LoanRow) -> LoanSummary:
    assert loan.id is not None
    return LoanSummary(
        id=loan.id,
        application_id=loan.application_id,
        product_code=loan.product_code,
        manager_id=loan.manager_id,
        branch_id=loan.branch_id,
        partner_id=loan.partner_id,
        amount=loan.amount,
        issue_date=loan.issue_date,
        status=LoanStatus(loan.status),
        days_past_due=loan.days_past_due,
        bucket=loan.bucket,
        outstanding_principal=loan.principal_outstanding,
        overdue_total=loan.overdue_principal + loan.overdue_interest + loan.overdue_fee,
        next_due_date=loan.next_due_date,
        next_due_amount=loan.next_due_amount,
        state_date=loan.state_date,
    )


def loans(
    *, session: Session, principal: Principal, page: PageRequest, filters: LoanFilters, as_of: date, today: date
) -> tuple[list[LoanSummary], str | None]:
    after = int_position(_LOANS, page.cursor)
    base = restrict(select(LoanRow), principal, LoanRow).where(col(LoanRow.issue_date) <= as_of)
    if after is not None:
        base = base.where(col(LoanRow.id) > after)
    if as_of == today:
        rows = session.exec(_where(base, filters, stored=True).order_by(col(LoanRow.id)).limit(page.limit)).all()
        out = [_summary(r) for r in rows]
        return out, (encode_cursor(_LOANS, [out[-1].id]) if len(out) == page.limit else None)
    return _replayed(session, base, page.limit, filters, as_of)


def _replayed(
    session: Session, base: Any, limit: int, f: LoanFilters, as_of: date
) -> tuple[list[LoanSummary], str | None]:
    """A past date: replay each candidate (cost grows with the loans scanned, not the book)."""
    out: list[LoanSummary] = []
    last: int | None = None
    query = _where(base, f, stored=False).order_by(col(LoanRow.id))
    while len(out) < limit:
        if last is not None:
            query = _where(base.where(col(LoanRow.id) > last), f, stored=False).order_by(col(LoanRow.id))
        rows = session.exec(query.limit(limit)).all()
        if not rows:
            break
        for loan in rows:
            last = loan.id
            s = state_of(session, loan, as_of=as_of)
            overdue = s.days_past_due > 0
            if (
                (f.status and s.status != f.status)
                or (f.bucket and s.bucket != f.bucket)
                or (f.overdue is not None and overdue != f.overdue)
                or (f.due_from and (s.next_due_date is None or s.next_due_date < f.due_from))
                or (f.due_to and (s.next_due_date is None or s.next_due_date > f.due_to))
            ):
                continue
            summary = _summary(loan)
            out.append(
                summary.model_copy(
                    update={
                        "status": LoanStatus(s.status),
                        "days_past_due": s.days_past_due,
                        "bucket": s.bucket,
                        "outstanding_principal": s.principal_outstanding,
                        "overdue_total": s.overdue_total,
                        "next_due_date": s.next_due_date,
                        "next_due_amount": s.next_due_amount,
                        "state_date": as_of,
                    }
                )
            )
            if len(out) == limit:
                break
    return out, (encode_cursor(_LOANS, [out[-1].id]) if len(out) == limit else None)


def _reminder_position(cursor: str) -> tuple[date, int]:
    due, last = decode_cursor(_REMINDERS, cursor, arity=2)
    try:
        return date.fromisoformat(str(due)), int(last)
    except (TypeError, ValueError) as exc:
        raise Unprocessable(
            "The cursor is not one this list gave out; start without it.",
            errors=[{"parameter": "cursor", "detail": "not a cursor of this list"}],
        ) from exc


def reminders(
    *, session: Session, principal: Principal, page: PageRequest, filters: LoanFilters, within_days: int, today: date
) -> tuple[list[Reminder], str | None]:
    """Open loans whose next payment falls due in ``[today, today + within_days]``, by due date."""
    end = today + timedelta(days=within_days)
    query = (
        select(LoanRow, ApplicationRow.full_name, ApplicationRow.phone)
        .join(ApplicationRow, col(ApplicationRow.id) == col(LoanRow.application_id))
        .where(
            col(LoanRow.status) != LoanStatus.CLOSED.value,
            col(LoanRow.next_due_date) >= today,
            col(LoanRow.next_due_date) <= end,
        )
    )
    query = _where(restrict(query, principal, LoanRow), filters, stored=True)
    if page.cursor is not None:
        due_day, last = _reminder_position(page.cursor)
        query = query.where(
            (col(LoanRow.next_due_date) > due_day)
            | ((col(LoanRow.next_due_date) == due_day) & (col(LoanRow.id) > last))
        )
    rows = session.exec(query.order_by(col(LoanRow.next_due_date), col(LoanRow.id)).limit(page.limit)).all()
    out = []
    for loan, name, phone in rows:
        assert loan.id is not None and loan.next_due_date is not None
        out.append(
            Reminder(
                loan_id=loan.id,
                due_date=loan.next_due_date,
                amount=loan.next_due_amount or Decimal("0.00"),
                borrower_name=name,
                phone=phone,
                manager_id=loan.manager_id,
            )
        )
    cursor = None
    if len(out) == page.limit:
        cursor = encode_cursor(_REMINDERS, [out[-1].due_date.isoformat(), out[-1].loan_id])
    return out, cursor
