"""``loans demo``: a realistic data set, so a new user sees a living system.

Managers in three segments (VIP, branch, point of sale), a year of loans with repayment
histories (most pay on time, some late, some default; a few planted managers whose loans
default at about three times their PDs, one of them with first-payment defaults), plans,
and applications in every state filed through the real service path. Seeded, so two runs
on empty databases give the same data. Prints one API key per role.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
from sqlmodel import Session, select

from app import loanmath
from app.apikeys import service as keys
from app.applications import service as applications
from app.applications.table import ApplicationEventRow, ApplicationRow
from app.audit import service as audit
from app.core.context import Context
from app.core.security import Principal
from app.loans.table import LoanInstalmentRow, LoanPaymentRow, LoanRow
from app.managers.table import ManagerPlanRow, ManagerRow
from app.products import repository as products
from schemas.applications import ApplicationCreate, RiskDecisionIn
from schemas.identity import Role
from scoring import DEFAULT_MASTER_SCALE

CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class DemoManager:
    id: str
    name: str
    channel: str
    scope: str
    segment: str
    product: str
    mean_pd: float
    loans: int
    default_multiplier: float = 1.0
    fpd_share: float = 0.25


MANAGERS = [
    DemoManager("VIP-01", "Орлова Е. В.", "branch", "MSK-VIP", "vip", "vip_consumer", 0.01, 60),
    DemoManager("VIP-02", "Соколов Д. А.", "branch", "MSK-VIP", "vip", "vip_consumer", 0.01, 45),
    DemoManager("MSK-01", "Иванова А. П.", "branch", "MSK-01", "mass", "consumer", 0.06, 160),
    DemoManager("MSK-02", "Кузнецов И. И.", "branch", "MSK-01", "mass", "consumer", 0.06, 140),
    DemoManager("MSK-03", "Попова М. С.", "branch", "MSK-01", "mass", "consumer", 0.06, 420, 2.5),
    DemoManager("SPB-01", "Смирнов П. К.", "branch", "SPB-01", "mass", "consumer", 0.06, 150),
    DemoManager("SPB-02", "Васильева О. Н.", "branch", "SPB-01", "mass", "mortgage", 0.02, 50),
    DemoManager("EKB-01", "Морозов А. Г.", "branch", "EKB-01", "mass", "consumer", 0.07, 130),
    DemoManager("POS-01", "Новиков Р. Р.", "pos", "ELECTRO-MARKET", "pos", "pos_installment", 0.12, 220),
    DemoManager("POS-02", "Фёдорова Т. Л.", "pos", "ELECTRO-MARKET", "pos", "pos_installment", 0.12, 200),
    DemoManager("POS-03", "Волков С. С.", "pos", "ELECTRO-MARKET", "pos", "pos_installment", 0.12, 180, 2.6, 0.6),
    DemoManager("POS-04", "Лебедева К. Д.", "pos", "MEBEL-PLUS", "pos", "pos_installment", 0.10, 170),
    DemoManager("POS-05", "Козлов Н. Е.", "pos", "MEBEL-PLUS", "pos", "pos_installment", 0.10, 8),
]

DEMO_KEYS = [
    (Role.ADMIN, "demo-admin", None, None),
    (Role.RISK_OFFICER, "demo-risk-officer", None, None),
    (Role.BRANCH, "demo-branch-msk-01", "MSK-01", None),
    (Role.PARTNER, "demo-partner-electro", None, "ELECTRO-MARKET"),
]

FIRST_NAMES = ["Алексей", "Мария", "Иван", "Ольга", "Дмитрий", "Анна", "Сергей", "Елена", "Павел", "Наталья"]
LAST_NAMES = ["Смирнов", "Кузнецова", "Попов", "Васильева", "Петров", "Соколова", "Михайлов", "Новикова"]


def load(session: Session, *, seed: int = 2026, today: date | None = None) -> list[str]:
    """Load the demo data; returns lines to print for the operator."""
    today = today or date.today()
    lines = []
    existing = session.exec(select(ManagerRow).where(ManagerRow.id == MANAGERS[0].id)).first()
    if existing is None:
        rng = np.random.default_rng(seed)
        counts = _portfolio(session, rng, today)
        lines.append(f"managers: {len(MANAGERS)}; loans: {counts[0]}; payments: {counts[1]}")
        lines.append(f"applications in every state: {_applications(session, today)}")
        lines.append("planted problem managers: MSK-03 (2.5x), POS-03 (2.6x, first-payment defaults)")
    else:
        lines.append("demo portfolio already loaded; adding keys only")
    for role, name, branch, partner in DEMO_KEYS:
        _, key = keys.create_key(session, role=role, name=name, branch_id=branch, partner_id=partner, actor="demo")
        lines.append(f"{role.value:<13} key ({name}): {key}")
    return lines


def _portfolio(session: Session, rng: np.random.Generator, today: date) -> tuple[int, int]:
    n_loans = n_payments = 0
    key_ids: dict[str, int] = {}
    for m in MANAGERS:
        session.add(
            ManagerRow(
                id=m.id,
                name=m.name,
                channel=m.channel,
                segment=m.segment,
                specialisation=m.product,
                branch_id=m.scope if m.channel == "branch" else None,
                partner_id=m.scope if m.channel == "pos" else None,
            )
        )
    session.flush()
    for m in MANAGERS:
        product = products.get_product(session, m.product)
        assert product is not None
        issued_by_month: dict[str, Decimal] = {}
        for _ in range(m.loans):
            issue = today - timedelta(days=int(rng.integers(20, 420)))
            term = int(
                rng.choice(
                    [
                        t
                        for t in (6, 10, 12, 18, 24, 36, 60, 120)
                        if product.min_term_months <= t <= product.max_term_months
                    ]
                    or [product.min_term_months]
                )
            )
            low, high = float(product.min_amount), float(min(product.max_amount, product.min_amount * 20))
            amount = Decimal(int(rng.uniform(low, high) / 1000) * 1000).quantize(CENT)
            pd = float(np.clip(rng.beta(2.0, 2.0 / m.mean_pd - 2.0), 0.002, 0.6))
            grade = str(DEFAULT_MASTER_SCALE.grade_for_pd(np.array([pd]))[0])
            rate = product.rate_for(grade)
            bad = rng.random() < min(0.95, pd * m.default_multiplier)
            fpd = bad and rng.random() < m.fpd_share
            loans, payments = _one_loan(
                session, rng, m, key_ids, product.code, issue, term, amount, rate, pd, grade, bad, fpd, today
            )
            n_loans += loans
            n_payments += payments
            month = issue.strftime("%Y-%m")
            issued_by_month[month] = issued_by_month.get(month, Decimal(0)) + amount
        for month, volume in sorted(issued_by_month.items())[-3:]:
            pressure = 0.62 if m.default_multiplier > 1 else 1.05  # planted managers chase their plan
            session.add(
                ManagerPlanRow(
                    manager_id=m.id, period=month, volume=(volume * Decimal(str(pressure))).quantize(Decimal(1000))
                )
            )
    session.flush()
    return n_loans, n_payments


def _one_loan(
    session: Session,
    rng: np.random.Generator,
    m: DemoManager,
    key_ids: dict[str, int],
    product: str,
    issue: date,
    term: int,
    amount: Decimal,
    rate: Decimal,
    pd: float,
    grade: str,
    bad: bool,
    fpd: bool,
    today: date,
) -> tuple[int, int]:
    product_row = products.get_product(session, product)
    assert product_row is not None
    schedule = loanmath.build_schedule(
        loanmath.LoanTerms(
            amount=amount, annual_rate=rate, term_months=term, issue_date=issue, day_count=loanmath.DayCount.ACTUAL_365
        )
    )
    name = f"{rng.choice(LAST_NAMES)} {rng.choice(FIRST_NAMES)}"
    passport = f"{int(rng.integers(4500, 4600))} {int(rng.integers(100000, 999999))}"
    app = ApplicationRow(
        status="disbursed",
        product_code=product,
        amount=amount,
        term_months=term,
        purpose="consumer",
        manager_id=m.id,
        channel=m.channel,
        branch_id=m.scope if m.channel == "branch" else None,
        partner_id=m.scope if m.channel == "pos" else None,
        created_by_key=_demo_key(session, m, key_ids),
        full_name=name,
        birth_date=date(int(rng.integers(1960, 2000)), int(rng.integers(1, 13)), 1),
        passport_number=passport.replace(" ", ""),
        phone=f"+7916{int(rng.integers(1000000, 9999999))}",
        monthly_income=Decimal(int(rng.integers(40, 400)) * 1000),
        monthly_debt_payments=Decimal(0),
        employment_months=int(rng.integers(6, 200)),
        dependents=int(rng.integers(0, 3)),
        housing="own",
        credit_history="good",
        missing_documents=[],
        score=int(600 - 30 * np.log2(pd / 0.02)),
        pd=f"{pd:.6f}",
        grade=grade,
        rating_reasons=[],
        scorecard_version="demo",
        decision="approve",
        decision_reasons=["demo"],
        policy_version="demo",
        annual_rate=rate,
        regular_payment=schedule.regular_payment,
        contract={
            "issue_date": issue.isoformat(),
            "method": "annuity",
            "day_count": "actual/365",
            "psk_percent": format(schedule.psk_percent, "f"),
        },
    )
    session.add(app)
    session.flush()
    assert app.id is not None
    session.add(
        ApplicationEventRow(
            application_id=app.id,
            from_status="signed",
            to_status="disbursed",
            actor="demo",
            role="branch",
            reason="demo data",
        )
    )
    loan = LoanRow(
        application_id=app.id,
        product_code=product,
        manager_id=m.id,
        channel=m.channel,
        branch_id=app.branch_id,
        partner_id=app.partner_id,
        amount=amount,
        annual_rate=rate,
        term_months=term,
        method="annuity",
        day_count="actual/365",
        issue_date=issue,
        pd_at_issue=pd,
        grade_at_issue=grade,
        psk_percent=schedule.psk_percent,
        penalty_rate=product_row.penalty_rate,
        penalty_basis=product_row.penalty_basis,
        targeted=product_row.targeted,
        fpd_deadline=schedule.payments[0].date + timedelta(days=30),
        # the state of the issue day, due for a replay: the close of business brings it forward
        state_date=issue,
        next_event_date=issue,
        first_due_date=schedule.payments[0].date,
        period_start=issue,
        principal_outstanding=amount,
        interest_base=amount,
    )
    session.add(loan)
    session.flush()
    assert loan.id is not None
    for p in schedule.payments:
        session.add(
            LoanInstalmentRow(
                loan_id=loan.id, number=p.number, due_date=p.date, principal=p.principal, interest=p.interest, fee=p.fee
            )
        )
    stop = len(schedule.payments) + 1
    if bad:
        stop = 1 if fpd else int(rng.integers(2, max(3, len(schedule.payments))))
    payments = 0
    for p in schedule.payments:
        if p.number >= stop:
            break
        paid_on = p.date + timedelta(days=int(rng.choice([0, 0, 0, 0, 1, 2, 5, 12])))
        if paid_on > today:
            break
        session.add(LoanPaymentRow(loan_id=loan.id, amount=rounded_up(p.payment), paid_on=paid_on))
        payments += 1
    return 1, payments


def rounded_up(payment: Decimal) -> Decimal:
    """What a borrower pays for an instalment: the amount rounded up to the next 100 roubles.

    Interest accrues to the day, so a few days' delay makes the next instalment a little
    larger than the schedule printed; people who pay a round sum above it stay current (the
    surplus is held as an advance), as real payers do.
    """
    return ((payment * Decimal("1.005")) / 100).to_integral_value(rounding="ROUND_CEILING") * 100


def _demo_key(session: Session, m: DemoManager, cache: dict[str, int]) -> int:
    """The (revoked) key that stands for a demo manager's front-end in the filed rows."""
    if m.scope not in cache:
        role = Role.BRANCH if m.channel == "branch" else Role.PARTNER
        row, _ = keys.create_key(
            session,
            role=role,
            name=f"demo-frontend-{m.scope}",
            branch_id=m.scope if role is Role.BRANCH else None,
            partner_id=m.scope if role is Role.PARTNER else None,
            actor="demo",
        )
        keys.revoke_key(session, row.id or 0, actor="demo")
        cache[m.scope] = row.id or 0
    return cache[m.scope]


def _applications(session: Session, today: date) -> str:
    """A handful of live applications through the real service path, in every state."""
    row, _ = keys.create_key(session, role=Role.BRANCH, name="demo-desk-MSK-01", branch_id="MSK-01", actor="demo")
    desk = Principal(key_id=row.id or 0, name=row.name, role=Role.BRANCH, branch_id="MSK-01")
    risk = Principal(key_id=row.id or 0, name="demo-risk-officer", role=Role.RISK_OFFICER)
    ctx = Context(principal=desk, today=today)
    states: dict[str, int] = {}

    def file(i: int, *, income: str, history: str, complete: bool = True, amount: str = "250000") -> int:
        docs = [{"type": "passport", "number": f"46{i:02d} 55{i:04d}", "issued_on": "2015-03-01"}]
        if complete:
            docs.append({"type": "income_statement", "issued_on": str(today - timedelta(days=2))})
        body = ApplicationCreate.model_validate(
            {
                "product_code": "consumer",
                "amount": amount,
                "term_months": 24,
                "manager_id": "MSK-01",
                "purpose": "consumer",
                "documents": docs,
                "borrower": {
                    "full_name": f"{LAST_NAMES[i % 8]} {FIRST_NAMES[i % 10]}",
                    "birth_date": "1984-06-15",
                    "passport_number": f"46{i:02d} 55{i:04d}",
                    "monthly_income": income,
                    "monthly_debt_payments": "5000",
                    "employment_months": 30 + 12 * i,
                    "dependents": i % 3,
                    "housing": ["own", "rent", "family"][i % 3],
                    "credit_history": history,
                    "phone": f"+7900555{i:04d}",
                },
            }
        )
        return applications.file(conn=session.connection(), body=body, ctx=ctx).id

    for i in range(1, 16):
        app_id = file(
            i,
            income=str(60000 + 15000 * i),
            history="good" if i % 5 else "delinquent",
            complete=i % 4 != 0,
            amount=str(150000 + 40000 * i),
        )
        status = session.get(ApplicationRow, app_id).status  # type: ignore[union-attr]
        if status == "referred" and i % 2:
            applications.risk_decision(
                session=session,
                application_id=app_id,
                ctx=Context(risk, today),
                body=RiskDecisionIn(decision="approve", reason="employer confirmed by phone"),
            )
            status = "approved"
        if status == "approved" and i % 3 == 0:
            applications.issue_contract(session=session, application_id=app_id, ctx=ctx)
            if i % 2 == 0:
                applications.sign(session=session, application_id=app_id, ctx=ctx)
        if status == "documents_required" and i == 12:
            applications.withdraw(session=session, application_id=app_id, reason="client went elsewhere", ctx=ctx)
        final = session.get(ApplicationRow, app_id)
        assert final is not None
        states[final.status] = states.get(final.status, 0) + 1
    audit.record(session, actor="demo", action="demo.loaded", entity="database", entity_id="demo")
    return ", ".join(f"{k} {v}" for k, v in sorted(states.items()))
