"""The credit manager's path: file, check documents, rate, decide, contract, sign, disburse.

Every transition is checked against the state machine (409 otherwise), takes a row lock
(``SELECT ... FOR UPDATE`` on PostgreSQL; ``BEGIN IMMEDIATE`` serialises SQLite writers),
and is recorded in the application's history and the audit trail.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from app import loanmath
from app.apikeys.service import Principal
from app.applications import documents as docs
from app.applications import repository
from app.applications.states import OUTCOME_STATUS, TRANSITIONS, allowed
from app.applications.table import ApplicationDocumentRow, ApplicationEventRow, ApplicationRow
from app.audit import service as audit
from app.clock import utcnow
from app.decisions.policy import decide, load_policy
from app.decisions.rating import rate, scorecard
from app.errors import Conflict, NotFound, Unprocessable
from app.managers.table import ManagerRow
from app.products import repository as products
from app.products.eligibility import Applicant, age_on, ineligibility_reasons
from app.scope import get_visible, visible
from schemas.applications import (
    Application,
    ApplicationCreate,
    ApplicationStatus,
    DocumentIn,
    RiskDecisionIn,
)
from schemas.identity import Role
from schemas.products import Product


@dataclass(frozen=True, slots=True)
class Context:
    """Who acts, and on which day (tests and batch jobs can pin the day)."""

    principal: Principal
    today: date
    scorecard_path: str | None = None
    policy_path: str | None = None


def channel_of(principal: Principal) -> str:
    return "pos" if principal.role is Role.PARTNER else "branch"


def _document_errors(problems: list[docs.DocumentProblem]) -> None:
    if problems:
        raise Unprocessable(
            f"{len(problems)} invalid document field(s)",
            errors=[{"pointer": f"#/documents/{p.index}/{p.field}", "detail": p.detail} for p in problems],
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
        raise Conflict(f"Cannot {action.replace('_', ' ')} an application that is {current.value}.")
    target = to or TRANSITIONS[action][1]
    assert target is not None
    row.status = target.value
    row.version += 1
    row.updated_at = utcnow()
    session.add(row)
    _record(session, row, target, ctx, reason, frm=current.value)


def file(*, session: Session, body: ApplicationCreate, ctx: Context) -> Application:
    principal = ctx.principal
    manager = session.get(ManagerRow, body.manager_id)
    if manager is None or not visible(principal, branch_id=manager.branch_id, partner_id=manager.partner_id):
        raise Unprocessable(
            "manager_id is not one of your managers",
            errors=[{"pointer": "#/manager_id", "detail": "not one of your managers"}],
        )
    product = products.get_product(session, body.product_code)
    if product is None:
        raise Unprocessable(
            "unknown product_code", errors=[{"pointer": "#/product_code", "detail": "no such product"}]
        )
    channel = channel_of(principal)
    _check_product_limits(product, body, channel)
    _document_errors(
        docs.invalid_documents(
            _given(body.documents),
            birth_date=body.borrower.birth_date,
            passport_number=body.borrower.passport_number,
            today=ctx.today,
        )
    )
    b = body.borrower
    row = ApplicationRow(
        status=ApplicationStatus.DOCUMENTS_REQUIRED.value,
        product_code=product.code,
        amount=body.amount,
        term_months=body.term_months,
        purpose=body.purpose.value if body.purpose else None,
        manager_id=manager.id,
        channel=channel,
        branch_id=manager.branch_id,
        partner_id=manager.partner_id,
        created_by_key=principal.key_id,
        full_name=b.full_name,
        birth_date=b.birth_date,
        passport_number=docs.normalise_passport(b.passport_number),
        phone=b.phone,
        monthly_income=b.monthly_income,
        monthly_debt_payments=b.monthly_debt_payments,
        employment_months=b.employment_months,
        dependents=b.dependents,
        housing=b.housing.value,
        credit_history=b.credit_history.value,
        existing_credits=b.existing_credits,
        missing_documents=docs.missing_documents(
            [d.value for d in product.required_documents], _given(body.documents)
        ),
    )
    session.add(row)
    session.flush()
    assert row.id is not None
    documents = [
        ApplicationDocumentRow(application_id=row.id, type=d.type.value, number=d.number, issued_on=d.issued_on)
        for d in body.documents
    ]
    session.add_all(documents)
    _record(session, row, ApplicationStatus.DOCUMENTS_REQUIRED, ctx, "filed", frm=None)
    if not row.missing_documents:
        _evaluate(session, row, product, ctx)
    session.flush()
    # the documents were just flushed in this order: no need to select them back
    return repository.to_schema(session, row, documents=documents, look_up_loan=False)


def _check_product_limits(product: Product, body: ApplicationCreate, channel: str) -> None:
    errors = []
    if channel not in {c.value for c in product.channels} or not product.active:
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


def _fraud_signals(session: Session, row: ApplicationRow, ctx: Context) -> list[str]:
    policy = load_policy(ctx.policy_path)
    signals = []
    since = utcnow() - timedelta(days=policy.other_channel_window_days)
    elsewhere = session.exec(
        select(func.count())
        .select_from(ApplicationRow)
        .where(
            ApplicationRow.passport_number == row.passport_number,
            ApplicationRow.id != row.id,
            col(ApplicationRow.created_at) >= since,
            (func.coalesce(ApplicationRow.branch_id, "") != (row.branch_id or ""))
            | (func.coalesce(ApplicationRow.partner_id, "") != (row.partner_id or "")),
        )
    ).one()
    if elsewhere:
        signals.append(
            f"the same passport applied through another branch or partner within "
            f"{policy.other_channel_window_days} days"
        )
    since = utcnow() - timedelta(days=policy.same_manager_window_days)
    same_manager = session.exec(
        select(func.count())
        .select_from(ApplicationRow)
        .where(
            ApplicationRow.passport_number == row.passport_number,
            ApplicationRow.manager_id == row.manager_id,
            ApplicationRow.id != row.id,
            col(ApplicationRow.created_at) >= since,
        )
    ).one()
    if same_manager >= policy.same_manager_same_borrower_max:
        signals.append(
            f"{same_manager + 1} applications by one manager for the same borrower within "
            f"{policy.same_manager_window_days} days"
        )
    return signals


def _evaluate(session: Session, row: ApplicationRow, product: Product, ctx: Context) -> None:
    """Documents are complete: rate the borrower, run the policy, move to its outcome."""
    policy = load_policy(ctx.policy_path)
    card = scorecard(ctx.scorecard_path)
    base_payment = loanmath.annuity_payment(row.amount, product.annual_rate, row.term_months)
    rating = rate(
        card,
        term_months=row.term_months,
        amount=row.amount,
        age_years=age_on(row.birth_date, ctx.today),
        employment_months=row.employment_months,
        instalment_share=base_payment / row.monthly_income,
        housing=row.housing,
        existing_credits=row.existing_credits,
        dependents=row.dependents,
        credit_history=row.credit_history,
        purpose=row.purpose,
    )
    annual_rate = product.rate_for(rating.grade)
    payment = loanmath.annuity_payment(row.amount, annual_rate, row.term_months)
    pdn = loanmath.pdn(row.monthly_income, row.monthly_debt_payments, payment)
    applicant = Applicant(
        birth_date=row.birth_date,
        monthly_income=row.monthly_income,
        monthly_debt_payments=row.monthly_debt_payments,
    )
    problems = ineligibility_reasons(
        product,
        applicant,
        amount=row.amount,
        term_months=row.term_months,
        channel=row.channel,
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
        fraud_signals=_fraud_signals(session, row, ctx),
    )
    row.score, row.pd, row.grade = rating.score, str(rating.pd), rating.grade
    row.rating_reasons, row.scorecard_version = rating.reasons, rating.scorecard_version
    row.decision, row.decision_reasons, row.policy_version = outcome.outcome, outcome.reasons, policy.version
    row.annual_rate, row.regular_payment, row.pdn = annual_rate, payment, pdn
    transition(session, row, "evaluate", ctx, "; ".join(outcome.reasons), to=OUTCOME_STATUS[outcome.outcome])


def get_row(
    session: Session, application_id: int, principal: Principal, *, lock: bool = False
) -> ApplicationRow:
    return get_visible(session, ApplicationRow, application_id, principal, what="application", lock=lock)


def get(*, session: Session, application_id: int, principal: Principal) -> Application:
    return repository.to_schema(session, get_row(session, application_id, principal))


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
            first_index=0,
        )
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
