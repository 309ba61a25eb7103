"""Rating and policy for an application whose documents are complete (no HTTP, no ORM)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, String, bindparam, func
from sqlmodel import Session, select

from app import loanmath
from app.applications import own_loans
from app.applications.states import OUTCOME_STATUS
from app.applications.table import ApplicationRow
from app.applications.transitions import transition
from app.core.clock import utcnow
from app.core.context import Context
from app.decisions.policy import DecisionPolicy, decide, load_policy
from app.decisions.rating import rate, scorecard
from app.pricing import pdn as pdn_rules
from app.products.eligibility import Applicant, age_on, ineligibility_reasons
from schemas.applications import ApplicationStatus
from schemas.products import Product


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
    full_name: str
    birth_date: date
    passport_number: str
    monthly_income: Decimal
    monthly_debt_payments: Decimal
    employment_months: int
    dependents: int
    housing: str
    credit_history: str
    existing_credits: int
    income_source: str

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
    pdn_details: dict[str, Any]
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
    func.count().filter(_c.created_at >= bindparam("passport_since")),
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
    passport_since = now - timedelta(days=policy.same_passport_window_days)
    elsewhere, same_manager, same_passport = conn.execute(
        _FRAUD_COUNTS,
        {
            "other_since": other_since,
            "manager_since": manager_since,
            "passport_since": passport_since,
            "since": min(other_since, manager_since, passport_since),
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
    if same_passport + 1 > policy.same_passport_max_applications:
        signals.append(
            f"{same_passport + 1} applications with the same passport across all channels within "
            f"{policy.same_passport_window_days} days (more than {policy.same_passport_max_applications})"
        )
    signals.extend(identity_signals(conn, facts, application_id=application_id))
    return signals


# Every name and birth date the bank has seen with this passport (a handful at most).
_KNOWN_AS = (
    select(_c.full_name, _c.birth_date)
    .where(_c.passport_number == bindparam("passport"), _c.id != bindparam("exclude"))
    .distinct()
    .limit(50)
)


def same_person_name(name: str) -> str:
    """A name as people write it differently: case, ё/е and spaces do not make another person."""
    return " ".join(name.casefold().replace("ё", "е").split())


def identity_signals(conn: Connection, facts: Facts, *, application_id: int | None) -> list[str]:
    """A passport the bank knows under another name or birth date: referred, never approved."""
    name = same_person_name(facts.full_name)
    other_name = other_birth = False
    for known_name, known_birth in conn.execute(
        _KNOWN_AS, {"passport": facts.passport_number, "exclude": application_id or 0}
    ):
        other_name |= same_person_name(known_name) != name
        other_birth |= known_birth != facts.birth_date
    what = [w for w, flag in (("another name", other_name), ("another birth date", other_birth)) if flag]
    if not what:
        return []
    return [f"the passport is already known to the bank under {' and '.join(what)}"]


def assess(
    facts: Facts, product: Product, ctx: Context, signals: list[str], own_loans: Sequence[Decimal] = ()
) -> Assessment:
    """Documents are complete: rate the borrower and run the policy (no I/O).

    ``own_loans`` are the monthly payments of this bank's open loans to the same passport
    (Ordinance 6579-U counts every obligation, not only the declared ones).
    """
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
    # Equal monthly payments (an annuity): the ordinance counts the payment itself.
    load = pdn_rules.compute(
        income=facts.monthly_income,
        income_source=facts.income_source,
        declared_payments=facts.monthly_debt_payments,
        own_loans=own_loans,
        new_payment=payment,
    )
    pdn = load.pdn
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
        pdn_details=load.details(),
        status=OUTCOME_STATUS[outcome.outcome].value,
        reason="; ".join(outcome.reasons),
    )


def _evaluate(session: Session, row: ApplicationRow, product: Product, ctx: Context) -> None:
    """Documents are complete on an application already filed: assess it and move it on."""
    assert row.id is not None
    facts = Facts.of_row(row)
    conn = session.connection()
    signals = fraud_signals(conn, facts, application_id=row.id, policy=load_policy(ctx.policy_path))
    own = own_loans.monthly_payments(conn, facts.passport_number, ctx.today)
    assessment = assess(facts, product, ctx, signals, own)
    for name, value in assessment.columns().items():
        if name != "status":
            setattr(row, name, value)
    transition(session, row, "evaluate", ctx, assessment.reason, to=ApplicationStatus(assessment.status))
