"""The credit manager's path: file, check documents, rate, decide, contract, sign, disburse.

Every transition is checked against the state machine (409 otherwise), takes a row lock
(``SELECT ... FOR UPDATE`` on PostgreSQL; ``BEGIN IMMEDIATE`` serialises SQLite writers),
and is recorded in the application's history and the audit trail.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, String, bindparam, func, insert
from sqlalchemy import select as sa_select
from sqlmodel import Session, select

from app import loanmath
from app.applications import documents as docs
from app.applications import repository
from app.applications.states import OUTCOME_STATUS, PHRASES, TRANSITIONS, allowed
from app.applications.table import ApplicationDocumentRow, ApplicationEventRow, ApplicationRow
from app.audit import service as audit
from app.core.clock import utcnow
from app.core.context import Context
from app.core.errors import Conflict, NotFound, Unprocessable
from app.core.scope import get_visible, visible
from app.core.security import Principal
from app.decisions.policy import DecisionPolicy, decide, load_policy
from app.decisions.rating import rate, scorecard
from app.managers.table import ManagerRow
from app.products import repository as products
from app.products.eligibility import Applicant, age_on, ineligibility_reasons
from app.products.table import ProductRow
from schemas.applications import (
    Application,
    ApplicationCreate,
    ApplicationStatus,
    Document,
    DocumentIn,
    RiskDecisionIn,
)
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


def _record(
    session: Session,
    row: ApplicationRow,
    to: ApplicationStatus,
    ctx: Context,
    reason: str | None,
    *,
    frm: str | None,
) -> None:
    assert row.id is not None
    session.add(
        ApplicationEventRow(
            application_id=row.id,
            from_status=frm,
            to_status=to.value,
            actor=ctx.principal.name,
            role=ctx.principal.role.value,
            reason=reason,
        )
    )
    audit.record(
        session,
        actor=ctx.principal.actor,
        action=f"application.{to.value}",
        entity="application",
        entity_id=row.id,
        detail={"from": frm, "reason": reason},
    )


def transition(
    session: Session,
    row: ApplicationRow,
    action: str,
    ctx: Context,
    reason: str | None,
    to: ApplicationStatus | None = None,
) -> None:
    current = ApplicationStatus(row.status)
    if not allowed(action, current):
        raise Conflict(f"Cannot {PHRASES[action]} an application that is {current.value}.")
    target = to or TRANSITIONS[action][1]
    assert target is not None
    row.status = target.value
    row.version += 1
    row.updated_at = utcnow()
    session.add(row)
    _record(session, row, target, ctx, reason, frm=current.value)


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
        assessment = assess(facts, product, ctx, signals)
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
        "policy_version", "annual_rate", "regular_payment", "pdn",
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


@dataclass(frozen=True, slots=True)
class Facts:
    """What the rating, the policy and the fraud checks read of an application."""

    amount: Decimal
    term_months: int
    purpose: str | None
    channel: str
    manager_id: str
    branch_id: str | None
    partner_id: str | None
    birth_date: date
    passport_number: str
    monthly_income: Decimal
    monthly_debt_payments: Decimal
    employment_months: int
    dependents: int
    housing: str
    credit_history: str
    existing_credits: int

    @classmethod
    def of_values(cls, values: Mapping[str, Any]) -> Facts:
        return cls(**{name: values[name] for name in cls.__slots__})

    @classmethod
    def of_row(cls, row: ApplicationRow) -> Facts:
        return cls(**{name: getattr(row, name) for name in cls.__slots__})


@dataclass(frozen=True, slots=True)
class Assessment:
    """The rating and the policy's outcome, as the application's columns will hold them."""

    score: int
    pd: str
    grade: str
    rating_reasons: list[str]
    scorecard_version: str
    decision: str
    decision_reasons: list[str]
    policy_version: str
    annual_rate: Decimal
    regular_payment: Decimal
    pdn: Decimal
    status: str
    reason: str

    def columns(self) -> dict[str, Any]:
        out = {name: getattr(self, name) for name in self.__slots__}
        del out["reason"]
        return out


_c = ApplicationRow.__table__.c  # type: ignore[attr-defined]
# One statement for both fraud checks; prepared once, so SQLAlchemy reuses its compiled form.
_FRAUD_COUNTS = select(
    func.count().filter(
        _c.created_at >= bindparam("other_since"),
        (func.coalesce(_c.branch_id, "") != bindparam("branch", type_=String))
        | (func.coalesce(_c.partner_id, "") != bindparam("partner", type_=String)),
    ),
    func.count().filter(_c.created_at >= bindparam("manager_since"), _c.manager_id == bindparam("manager")),
).where(
    _c.passport_number == bindparam("passport"),
    _c.id != bindparam("exclude"),
    _c.created_at >= bindparam("since"),
)


def fraud_signals(
    conn: Connection, facts: Facts, *, application_id: int | None, policy: DecisionPolicy
) -> list[str]:
    """Fraud referrals: the same passport through another channel lately; one manager filing
    for one borrower again and again. ``application_id`` (if filed already) is not counted."""
    now = utcnow()
    other_since = now - timedelta(days=policy.other_channel_window_days)
    manager_since = now - timedelta(days=policy.same_manager_window_days)
    elsewhere, same_manager = conn.execute(
        _FRAUD_COUNTS,
        {
            "other_since": other_since,
            "manager_since": manager_since,
            "since": min(other_since, manager_since),
            "branch": facts.branch_id or "",
            "partner": facts.partner_id or "",
            "manager": facts.manager_id,
            "passport": facts.passport_number,
            "exclude": application_id or 0,
        },
    ).one()
    signals = []
    if elsewhere:
        signals.append(
            f"the same passport applied through another branch or partner within "
            f"{policy.other_channel_window_days} days"
        )
    if same_manager >= policy.same_manager_same_borrower_max:
        signals.append(
            f"{same_manager + 1} applications by one manager for the same borrower within "
            f"{policy.same_manager_window_days} days"
        )
    return signals


def assess(facts: Facts, product: Product, ctx: Context, signals: list[str]) -> Assessment:
    """Documents are complete: rate the borrower and run the policy (no I/O)."""
    policy = load_policy(ctx.policy_path)
    card = scorecard(ctx.scorecard_path)
    base_payment = loanmath.annuity_payment(facts.amount, product.annual_rate, facts.term_months)
    rating = rate(
        card,
        term_months=facts.term_months,
        amount=facts.amount,
        age_years=age_on(facts.birth_date, ctx.today),
        employment_months=facts.employment_months,
        instalment_share=base_payment / facts.monthly_income,
        housing=facts.housing,
        existing_credits=facts.existing_credits,
        dependents=facts.dependents,
        credit_history=facts.credit_history,
        purpose=facts.purpose,
    )
    annual_rate = product.rate_for(rating.grade)
    payment = loanmath.annuity_payment(facts.amount, annual_rate, facts.term_months)
    pdn = loanmath.pdn(facts.monthly_income, facts.monthly_debt_payments, payment)
    applicant = Applicant(
        birth_date=facts.birth_date,
        monthly_income=facts.monthly_income,
        monthly_debt_payments=facts.monthly_debt_payments,
    )
    problems = ineligibility_reasons(
        product,
        applicant,
        amount=facts.amount,
        term_months=facts.term_months,
        channel=facts.channel,
        on=ctx.today,
        pdn=None,
    )
    outcome = decide(
        policy,
        product_code=product.code,
        grade=rating.grade,
        pdn=pdn,
        pdn_limit=product.pdn_limit,
        eligibility_problems=problems,
        fraud_signals=signals,
    )
    return Assessment(
        score=rating.score,
        pd=str(rating.pd),
        grade=rating.grade,
        rating_reasons=rating.reasons,
        scorecard_version=rating.scorecard_version,
        decision=outcome.outcome,
        decision_reasons=outcome.reasons,
        policy_version=policy.version,
        annual_rate=annual_rate,
        regular_payment=payment,
        pdn=pdn,
        status=OUTCOME_STATUS[outcome.outcome].value,
        reason="; ".join(outcome.reasons),
    )


def _evaluate(session: Session, row: ApplicationRow, product: Product, ctx: Context) -> None:
    """Documents are complete on an application already filed: assess it and move it on."""
    assert row.id is not None
    facts = Facts.of_row(row)
    signals = fraud_signals(
        session.connection(), facts, application_id=row.id, policy=load_policy(ctx.policy_path)
    )
    assessment = assess(facts, product, ctx, signals)
    for name, value in assessment.columns().items():
        if name != "status":
            setattr(row, name, value)
    transition(session, row, "evaluate", ctx, assessment.reason, to=ApplicationStatus(assessment.status))


def get_row(
    session: Session, application_id: int, principal: Principal, *, lock: bool = False
) -> ApplicationRow:
    return get_visible(session, ApplicationRow, application_id, principal, what="application", lock=lock)


def get(*, conn: Connection, application_id: int, principal: Principal) -> Application:
    """One application as the caller may see it (404 when it is not theirs, as if absent)."""
    found = repository.read(conn, application_id, principal)
    if found is None:
        raise NotFound(f"No application with id {application_id!r}.")
    return found


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


def risk_decision(
    *, session: Session, application_id: int, body: RiskDecisionIn, ctx: Context
) -> Application:
    row = get_row(session, application_id, ctx.principal, lock=True)
    action = "risk_approve" if body.decision == "approve" else "risk_decline"
    transition(session, row, action, ctx, body.reason)
    row.decision = body.decision
    row.decision_reasons = [*(row.decision_reasons or []), f"risk officer: {body.reason}"]
    session.flush()
    return repository.to_schema(session, row)


def withdraw(*, session: Session, application_id: int, reason: str | None, ctx: Context) -> Application:
    row = get_row(session, application_id, ctx.principal, lock=True)
    transition(session, row, "withdraw", ctx, reason or "withdrawn by the borrower")
    session.flush()
    return repository.to_schema(session, row)


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
