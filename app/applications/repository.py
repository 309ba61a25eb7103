"""Queries on applications: one application with its documents, pages, and history."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from app.applications.table import ApplicationDocumentRow, ApplicationEventRow, ApplicationRow
from app.core.pagination import encode_cursor, int_position
from app.core.scope import restrict, visible
from app.core.security import Principal
from schemas.applications import (
    Application,
    Borrower,
    CreditHistory,
    Decision,
    Document,
    Housing,
    IncomeSource,
    Rating,
    Transition,
)


def documents_of(session: Session, ids: list[int]) -> dict[int, list[ApplicationDocumentRow]]:
    out: dict[int, list[ApplicationDocumentRow]] = defaultdict(list)
    if not ids:
        return out
    rows = session.exec(
        select(ApplicationDocumentRow)
        .where(col(ApplicationDocumentRow.application_id).in_(ids))
        .order_by(col(ApplicationDocumentRow.id))
    ).all()
    for r in rows:
        out[r.application_id].append(r)
    return out


def to_schema(
    session: Session, row: ApplicationRow, *, documents: list[ApplicationDocumentRow] | None = None
) -> Application:
    assert row.id is not None
    if documents is None:
        documents = documents_of(session, [row.id]).get(row.id, [])
    return from_values({name: getattr(row, name) for name in _FIELDS}, [document_of(d) for d in documents])


def document_of(d: Any) -> Document:
    """The API's view of a document row (an ORM row or a Core result row)."""
    return Document(id=d.id, type=d.type, number=d.number, issued_on=d.issued_on, added_at=d.added_at)


_FIELDS = (
    "id", "status", "product_code", "amount", "term_months", "manager_id", "channel", "branch_id",
    "partner_id", "purpose", "full_name", "birth_date", "passport_number", "monthly_income",
    "monthly_debt_payments", "employment_months", "dependents", "housing", "credit_history", "phone",
    "existing_credits", "income_source", "pdn_details",
    "missing_documents", "score", "pd", "grade", "rating_reasons", "scorecard_version",
    "decision", "decision_reasons", "policy_version", "annual_rate", "regular_payment", "pdn",
    "loan_id", "created_at", "updated_at",
)


def from_values(row: Mapping[Any, Any], documents: list[Document]) -> Application:
    """The API's view of an application from its column values (an ORM row's or an insert's)."""
    rating = None
    if row["grade"] is not None and row["score"] is not None and row["pd"] is not None:
        rating = Rating(
            score=row["score"],
            pd=row["pd"],
            grade=row["grade"],
            reasons=row["rating_reasons"] or [],
            scorecard_version=row["scorecard_version"] or "",
        )
    decision = None
    if row["decision"] is not None:
        decision = Decision(
            outcome=row["decision"],
            reasons=row["decision_reasons"] or [],
            policy_version=row["policy_version"] or "",
            annual_rate=row["annual_rate"],
            regular_payment=row["regular_payment"],
            pdn=row["pdn"],
            pdn_details=row["pdn_details"],
        )
    return Application(
        id=row["id"],
        status=row["status"],
        product_code=row["product_code"],
        amount=row["amount"],
        term_months=row["term_months"],
        manager_id=row["manager_id"],
        channel=row["channel"],
        branch_id=row["branch_id"],
        partner_id=row["partner_id"],
        purpose=row["purpose"],
        borrower=Borrower.model_construct(
            full_name=row["full_name"],
            birth_date=row["birth_date"],
            passport_number=row["passport_number"],
            monthly_income=row["monthly_income"],
            monthly_debt_payments=row["monthly_debt_payments"],
            employment_months=row["employment_months"],
            dependents=row["dependents"],
            housing=Housing(row["housing"]),
            credit_history=CreditHistory(row["credit_history"]),
            phone=row["phone"],
            existing_credits=row["existing_credits"],
            income_source=IncomeSource(row["income_source"]),
        ),
        documents=documents,
        missing_documents=row["missing_documents"],
        rating=rating,
        decision=decision,
        decision_reasons=row["decision_reasons"],
        loan_id=row.get("loan_id"),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


_a = ApplicationRow.__table__.c  # type: ignore[attr-defined]
_d = ApplicationDocumentRow.__table__.c  # type: ignore[attr-defined]
_ONE = core_select(*(_a[name] for name in _FIELDS)).where(_a.id == bindparam("id"))
_DOCUMENTS = (
    core_select(_d.id, _d.type, _d.number, _d.issued_on, _d.added_at)
    .where(_d.application_id == bindparam("id"))
    .order_by(_d.id)
)


def read(conn: Connection, application_id: int, principal: Principal) -> Application | None:
    """One application as the caller may see it, by prepared Core reads (the hot GET).

    None when it does not exist or lies outside the caller's scope (the same 404 either way).
    """
    row = conn.execute(_ONE, {"id": application_id}).first()
    if row is None:
        return None
    values = row._mapping
    if not visible(principal, branch_id=values["branch_id"], partner_id=values["partner_id"]):
        return None
    documents = [document_of(d) for d in conn.execute(_DOCUMENTS, {"id": application_id})]
    return from_values(values, documents)


_KIND = "applications"


def page(
    session: Session,
    principal: Principal,
    *,
    limit: int,
    cursor: str | None,
    status: str | None,
    manager_id: str | None,
    created_from: date | None,
    created_to: date | None,
) -> tuple[list[Application], str | None]:
    """Newest first, keyset-paginated on id."""
    query = restrict(select(ApplicationRow), principal, ApplicationRow)
    if status:
        query = query.where(ApplicationRow.status == status)
    if manager_id:
        query = query.where(ApplicationRow.manager_id == manager_id)
    if created_from:
        query = query.where(
            col(ApplicationRow.created_at) >= datetime.combine(created_from, time.min, tzinfo=UTC)
        )
    if created_to and created_to < date.max:  # up to the last day there is: no bound
        query = query.where(
            col(ApplicationRow.created_at)
            < datetime.combine(created_to + timedelta(days=1), time.min, tzinfo=UTC)
        )
    last = int_position(_KIND, cursor)
    if last is not None:
        query = query.where(col(ApplicationRow.id) < last)
    rows = session.exec(query.order_by(col(ApplicationRow.id).desc()).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    ids = [r.id for r in rows if r.id is not None]
    docs = documents_of(session, ids)
    items = [to_schema(session, r, documents=docs.get(r.id or 0, [])) for r in rows]
    return items, (encode_cursor(_KIND, [ids[-1]]) if more and ids else None)


def history(session: Session, application_id: int) -> list[Transition]:
    rows = session.exec(
        select(ApplicationEventRow)
        .where(ApplicationEventRow.application_id == application_id)
        .order_by(col(ApplicationEventRow.id))
    ).all()
    return [
        Transition(
            from_status=r.from_status,
            to_status=r.to_status,
            actor=r.actor,
            role=r.role,
            at=r.at,
            reason=r.reason,
        )
        for r in rows
    ]
