"""Filing an application and adding its documents: checks first, then the assessment."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection, bindparam, insert
from sqlalchemy import select as sa_select
from sqlmodel import Session, select

from app.applications import documents as docs
from app.applications import own_loans, repository
from app.applications.assessment import Facts, _evaluate, assess, fraud_signals
from app.applications.table import ApplicationDocumentRow, ApplicationEventRow, ApplicationRow
from app.applications.transitions import get_row
from app.audit import service as audit
from app.core.clock import utcnow
from app.core.context import Context
from app.core.errors import Conflict, Unprocessable
from app.core.scope import visible
from app.core.security import Principal
from app.decisions.policy import load_policy
from app.managers.table import ManagerRow
from app.products import repository as products
from app.products.eligibility import age_on
from app.products.table import ProductRow
from schemas.applications import Application, ApplicationCreate, ApplicationStatus, Document, DocumentIn
from schemas.identity import Role
from schemas.products import Product


def channel_of(principal: Principal) -> str:
    return "pos" if principal.role is Role.PARTNER else "branch"


def _document_errors(problems: list[docs.DocumentProblem], *, within: str = "#/documents/{index}/") -> None:
    """422 naming each bad field; ``within`` says where the documents sit in the body."""
    if problems:
        raise Unprocessable(
            f"{len(problems)} invalid document field(s)",
            errors=[
                {"pointer": within.format(index=p.index) + p.field, "detail": p.detail} for p in problems
            ],
        )


def _given(rows: list[ApplicationDocumentRow] | list[DocumentIn]) -> list[docs.GivenDocument]:
    return [
        docs.GivenDocument(type=str(getattr(d.type, "value", d.type)), number=d.number, issued_on=d.issued_on)
        for d in rows
    ]


def file(*, conn: Connection, body: ApplicationCreate, ctx: Context) -> Application:
    """File an application; when its documents are complete, rate and decide it at once.

    The hottest write of the service, so it runs as a handful of prepared Core statements on
    a write transaction's connection (no ORM unit of work): one look-up of the manager and
    the product together, one fraud query, then the application, its documents, its
    history and its audit rows are inserted already in their final state.
    """
    principal = ctx.principal
    found = conn.execute(_MANAGER_AND_PRODUCT, {"id": body.manager_id, "code": body.product_code}).first()
    if found is None:  # no such product; the manager is still checked first, as before
        manager = conn.execute(_MANAGER, {"id": body.manager_id}).first()
        _check_manager(principal, manager)
        raise Unprocessable(
            "unknown product_code", errors=[{"pointer": "#/product_code", "detail": "no such product"}]
        )
    _check_manager(principal, found if found.manager_found else None)
    manager = found
    product = products.product_of(found._mapping)
    channel = channel_of(principal)
    _check_product_limits(product, body, channel)
    _check_borrower(body, ctx.today)
    given = _given(body.documents)
    _document_errors(
        docs.invalid_documents(
            given,
            birth_date=body.borrower.birth_date,
            passport_number=body.borrower.passport_number,
            today=ctx.today,
        )
    )
    b = body.borrower
    now = utcnow()
    values: dict[str, Any] = {
        "version": 1,
        "status": ApplicationStatus.DOCUMENTS_REQUIRED.value,
        "product_code": product.code,
        "amount": body.amount,
        "term_months": body.term_months,
        "purpose": body.purpose.value if body.purpose else None,
        "manager_id": body.manager_id,
        "channel": channel,
        "branch_id": manager.branch_id,
        "partner_id": manager.partner_id,
        "created_by_key": principal.key_id,
        "full_name": b.full_name,
        "birth_date": b.birth_date,
        "passport_number": docs.normalise_passport(b.passport_number),
        "phone": b.phone,
        "monthly_income": b.monthly_income,
        "monthly_debt_payments": b.monthly_debt_payments,
        "employment_months": b.employment_months,
        "dependents": b.dependents,
        "housing": b.housing.value,
        "credit_history": b.credit_history.value,
        "existing_credits": b.existing_credits,
        "income_source": b.income_source.value,
        "missing_documents": docs.missing_documents([d.value for d in product.required_documents], given),
        **_NOT_ASSESSED,
        "contract": None,
        "created_at": now,
        "updated_at": now,
    }
    filed = ApplicationStatus.DOCUMENTS_REQUIRED.value
    moves: list[tuple[str | None, str, str | None]] = [(None, filed, "filed")]
    if not values["missing_documents"]:
        facts = Facts.of_values(values)
        signals = fraud_signals(conn, facts, application_id=None, policy=load_policy(ctx.policy_path))
        own = own_loans.monthly_payments(conn, facts.passport_number, ctx.today)
        assessment = assess(facts, product, ctx, signals, own)
        values.update(assessment.columns())
        values["version"] = 2
        moves.append((filed, values["status"], assessment.reason))
    inserted = conn.execute(_INSERT_APPLICATION, values).inserted_primary_key
    assert inserted is not None
    application_id = inserted[0]
    values["id"] = application_id
    documents: list[Document] = []
    if body.documents:
        rows = [
            {"application_id": application_id, "type": d.type.value, "number": d.number,
             "issued_on": d.issued_on, "added_at": now}
            for d in body.documents
        ]
        ids = conn.execute(_INSERT_DOCUMENTS, rows).scalars().all()
        documents = [
            Document(id=i, type=r["type"], number=r["number"], issued_on=r["issued_on"], added_at=now)
            for i, r in zip(ids, rows, strict=True)
        ]
    actor = principal.name
    role = principal.role.value
    conn.execute(
        _INSERT_EVENTS,
        [
            {"application_id": application_id, "from_status": frm, "to_status": to, "actor": actor,
             "role": role, "reason": reason, "at": now}
            for frm, to, reason in moves
        ],
    )
    audit.record_many(
        conn,
        actor=principal.actor,
        entity="application",
        entity_id=application_id,
        events=[(f"application.{to}", {"from": frm, "reason": reason}) for frm, to, reason in moves],
        at=now,
    )
    return repository.from_values(values, documents)


_MANAGER = select(ManagerRow.branch_id, ManagerRow.partner_id).where(ManagerRow.id == bindparam("id"))
_m = ManagerRow.__table__.c  # type: ignore[attr-defined]
_p = ProductRow.__table__.c  # type: ignore[attr-defined]
# The product with the filing manager joined on (NULLs when there is no such manager).
_MANAGER_AND_PRODUCT = (
    sa_select(
        *products.PRODUCT_COLUMNS,
        (_m.id.is_not(None)).label("manager_found"),
        _m.branch_id.label("branch_id"),
        _m.partner_id.label("partner_id"),
    )
    .select_from(
        ProductRow.__table__.outerjoin(ManagerRow.__table__, _m.id == bindparam("id"))  # type: ignore[attr-defined]
    )
    .where(_p.code == bindparam("code"))
)


def _check_manager(principal: Principal, manager: Any) -> None:
    if manager is None or not visible(principal, branch_id=manager.branch_id, partner_id=manager.partner_id):
        raise Unprocessable(
            "manager_id is not one of your managers",
            errors=[{"pointer": "#/manager_id", "detail": "not one of your managers"}],
        )


_INSERT_APPLICATION = insert(ApplicationRow.__table__)  # type: ignore[attr-defined]
_INSERT_DOCUMENTS = insert(ApplicationDocumentRow.__table__).returning(  # type: ignore[attr-defined]
    ApplicationDocumentRow.__table__.c.id, sort_by_parameter_order=True  # type: ignore[attr-defined]
)
_INSERT_EVENTS = insert(ApplicationEventRow.__table__)  # type: ignore[attr-defined]
_NOT_ASSESSED: dict[str, Any] = dict.fromkeys(
    (
        "score", "pd", "grade", "rating_reasons", "scorecard_version", "decision", "decision_reasons",
        "policy_version", "annual_rate", "regular_payment", "pdn", "pdn_details",
    )
)


def _check_product_limits(product: Product, body: ApplicationCreate, channel: str) -> None:
    errors = []
    if not product.active:
        errors.append({"pointer": "#/product_code", "detail": f"{product.code} is inactive: it takes no applications"})
    elif channel not in {c.value for c in product.channels}:
        errors.append(
            {
                "pointer": "#/product_code",
                "detail": f"{product.code} is not offered through the {channel} channel",
            }
        )
    if not product.min_amount <= body.amount <= product.max_amount:
        errors.append(
            {
                "pointer": "#/amount",
                "detail": f"must be between {product.min_amount} and {product.max_amount}",
            }
        )
    if not product.min_term_months <= body.term_months <= product.max_term_months:
        errors.append(
            {
                "pointer": "#/term_months",
                "detail": f"must be between {product.min_term_months} and {product.max_term_months}",
            }
        )
    if errors:
        raise Unprocessable("the application does not fit the programme", errors=errors)


def _check_borrower(body: ApplicationCreate, today: date) -> None:
    """Facts about the borrower that no document can fix: born, and employed only since 14."""
    b = body.borrower
    if b.birth_date > today:
        raise Unprocessable(
            "the borrower's birth date is in the future",
            errors=[{"pointer": "#/borrower/birth_date", "detail": "in the future"}],
        )
    working_months = max(0, (age_on(b.birth_date, today) - MIN_WORKING_AGE) * 12)
    if b.employment_months > working_months:
        raise Unprocessable(
            "employment_months exceeds the borrower's working life",
            errors=[{
                "pointer": "#/borrower/employment_months",
                "detail": f"at most {working_months} months for a borrower born {b.birth_date} "
                f"(work from age {MIN_WORKING_AGE})",
            }],
        )


#: The youngest age at which work is lawful in Russia (Labour Code art. 63, with consent).
MIN_WORKING_AGE = 14


def add_document(*, session: Session, application_id: int, document: DocumentIn, ctx: Context) -> Application:
    row = get_row(session, application_id, ctx.principal, lock=True)
    if row.status != ApplicationStatus.DOCUMENTS_REQUIRED.value:
        raise Conflict(f"Documents can be added only while documents are required; it is {row.status}.")
    existing = repository.documents_of(session, [application_id]).get(application_id, [])
    _document_errors(
        docs.invalid_documents(
            _given([document]),
            birth_date=row.birth_date,
            passport_number=row.passport_number,
            today=ctx.today,
        ),
        within="#/",  # the body is the one document
    )
    session.add(
        ApplicationDocumentRow(
            application_id=application_id,
            type=document.type.value,
            number=document.number,
            issued_on=document.issued_on,
        )
    )
    product = products.get_product(session, row.product_code)
    assert product is not None
    given = _given(existing) + _given([document])
    row.missing_documents = docs.missing_documents([d.value for d in product.required_documents], given)
    row.updated_at = utcnow()
    session.add(row)
    audit.record(
        session,
        actor=ctx.principal.actor,
        action="application.document_added",
        entity="application",
        entity_id=application_id,
        detail={"type": document.type.value},
    )
    if not row.missing_documents:
        _evaluate(session, row, product, ctx)
    session.flush()
    return repository.to_schema(session, row)
