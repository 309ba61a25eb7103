"""``loans demo --loans N``: a bank-sized demo book through a bulk path.

Managers in every segment (VIP, mass-market branches, point-of-sale partners), each with
honest variation (a manager's loans default at their PDs times a log-normal factor of
spread 0.25, as real portfolios differ by region and shop) and 4 % planted problem
managers at 2-3.5 times their PDs, half of them with first-payment defaults; a year of
issues and payments (most on time, some a few days late, defaults stop paying); plans that
differ by manager and month. Each loan's state is the servicing engine's replay on the
business date, computed in worker processes; rows go in by COPY on PostgreSQL (executemany
on SQLite). Seeded: the same N and seed give the same book.
"""

from __future__ import annotations

import itertools
import json
import multiprocessing
import time
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
from sqlalchemy import JSON, Table, func, select, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

from app import loanmath
from app.apikeys import service as keys
from app.applications.table import ApplicationRow
from app.core.clock import utcnow
from app.core.config import Settings
from app.core.db import make_engine
from app.demo import rounded_up
from app.loans.table import LoanInstalmentRow, LoanPaymentRow, LoanRow
from app.managers.table import ManagerPlanRow, ManagerRow
from app.products import repository as products
from app.servicing import History, Instalment, Receipt, Terms, book_state, replay
from schemas.identity import Role
from scoring import DEFAULT_MASTER_SCALE

CENT = Decimal("0.01")
APPLICATION: Table = ApplicationRow.__table__  # type: ignore[attr-defined]
LOAN: Table = LoanRow.__table__  # type: ignore[attr-defined]
INSTALMENT: Table = LoanInstalmentRow.__table__  # type: ignore[attr-defined]
PAYMENT: Table = LoanPaymentRow.__table__  # type: ignore[attr-defined]
BATCH = 5000
SEGMENTS = (  # segment, channel, product, share of managers, mean PD range
    ("vip", "branch", "vip_consumer", 0.10, (0.008, 0.02)),
    ("mass", "branch", "consumer", 0.50, (0.04, 0.08)),
    ("pos", "pos", "pos_installment", 0.40, (0.09, 0.14)),
)
PLANTED_SHARE = 0.04
HONEST_SPREAD = 0.25
NAMES = ["Смирнов", "Кузнецова", "Попов", "Васильева", "Петров", "Соколова", "Михайлов", "Новикова"]
FIRST = ["Алексей", "Мария", "Иван", "Ольга", "Дмитрий", "Анна", "Сергей", "Елена"]


@dataclass(frozen=True, slots=True)
class BookManager:
    id: str
    segment: str
    channel: str
    product: str
    scope: str
    mean_pd: float
    multiplier: float
    fpd_share: float
    planted: bool
    loans: int


def population(n_loans: int, seed: int) -> list[BookManager]:
    rng = np.random.default_rng(seed)
    n_managers = max(13, n_loans // 250)
    out = []
    for segment, channel, product, share, (lo, hi) in SEGMENTS:
        count = max(3, round(n_managers * share))
        chosen = set(rng.choice(count, size=max(1, round(count * PLANTED_SHARE)), replace=False).tolist())
        for k in range(count):
            planted = k in chosen
            multiplier = float(rng.uniform(2.0, 3.5)) if planted else float(np.exp(rng.normal(0, HONEST_SPREAD)))
            scope = f"{segment.upper()}-{k // (8 if channel == 'branch' else 10):03d}"
            out.append(
                BookManager(
                    id=f"{segment.upper()}-M{k:05d}", segment=segment, channel=channel, product=product, scope=scope,
                    mean_pd=float(rng.uniform(lo, hi)), multiplier=multiplier,
                    fpd_share=0.6 if planted and rng.random() < 0.5 else 0.2, planted=planted, loans=0,
                )
            )
    sizes = rng.lognormal(0, 0.5, len(out))
    counts = np.floor(sizes / sizes.sum() * n_loans).astype(int)
    counts[: n_loans - counts.sum()] += 1
    return [BookManager(**{**_fields(m), "loans": int(c)}) for m, c in zip(out, counts, strict=True)]


def _fields(m: BookManager) -> dict[str, Any]:
    return {name: getattr(m, name) for name in BookManager.__slots__}


# -- rows -----------------------------------------------------------------------------------


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class Columns:
    """One table's columns as the database stores them (kopecks, JSON text), in order.

    ``template`` supplies every column a row does not give (its model's defaults); building
    plain tuples instead of ORM objects is what makes the bulk path fast.
    """

    def __init__(self, table: Table, dialect: Any, template: SQLModel | None = None) -> None:
        self.keys = [c.key for c in table.columns]
        self.procs = [_json if isinstance(c.type, JSON) else c.type.bind_processor(dialect) for c in table.columns]
        self.base = {k: getattr(template, k) for k in self.keys} if template is not None else {}

    def row(self, values: dict[str, Any]) -> tuple[Any, ...]:
        merged = {**self.base, **values}
        return tuple(
            p(merged[k]) if p is not None and merged[k] is not None else merged[k]
            for k, p in zip(self.keys, self.procs, strict=True)
        )


@dataclass(slots=True)
class Rows:
    applications: list[tuple[Any, ...]]
    loans: list[tuple[Any, ...]]
    instalments: list[tuple[Any, ...]]
    payments: list[tuple[Any, ...]]
    issued: dict[tuple[str, str], Decimal]


def _loans_of(
    managers: Sequence[BookManager], start: int, stop: int, first_id: int, seed: int, today: date,
    product_terms: dict[str, dict[str, Any]], key_ids: dict[str, int], dialect: Any, ids: Iterator[int],
) -> Rows:
    """Loans number ``start..stop-1`` of the book (manager by manager, in book order)."""
    rows = Rows([], [], [], [], defaultdict(Decimal))
    now = utcnow()
    app_cols = Columns(APPLICATION, dialect, ApplicationRow(
        status="disbursed", product_code="", amount=Decimal(0), term_months=1, manager_id="", channel="",
        created_by_key=0, full_name="", birth_date=today, passport_number="", phone="",
        monthly_income=Decimal(0), monthly_debt_payments=Decimal(0), employment_months=0, dependents=0,
        housing="own", credit_history="good", created_at=now, updated_at=now,
    ))
    loan_cols = Columns(LOAN, dialect, LoanRow(
        application_id=0, product_code="", manager_id="", channel="", amount=Decimal(0), annual_rate=Decimal(0),
        term_months=1, method="annuity", day_count="actual/365", issue_date=today, pd_at_issue=0.0,
        grade_at_issue="", psk_percent=Decimal(0), fpd_deadline=today, state_date=today, first_due_date=today,
        period_start=today, created_at=now,
    ))
    inst_cols = Columns(INSTALMENT, dialect)
    pay_cols = Columns(PAYMENT, dialect)
    rng = np.random.default_rng([seed, start])
    owner = np.repeat(np.arange(len(managers)), [m.loans for m in managers])
    for n in range(start, stop):
        m = managers[int(owner[n])]
        p = product_terms[m.product]
        loan_id = first_id + n
        issue = today - timedelta(days=int(rng.integers(20, 400)))
        term = int(rng.choice(p["terms"]))
        amount = Decimal(int(rng.uniform(p["min_amount"], p["max_amount"]) / 1000) * 1000).quantize(CENT)
        pd = float(np.clip(rng.beta(2.0, 2.0 / m.mean_pd - 2.0), 0.002, 0.6))
        grade = str(DEFAULT_MASTER_SCALE.grade_for_pd(np.array([pd]))[0])
        rate = Decimal(p["rates"].get(grade, p["rate"]))
        schedule = loanmath.build_schedule(
            loanmath.LoanTerms(amount=amount, annual_rate=rate, term_months=term, issue_date=issue,
                               day_count=loanmath.DayCount.ACTUAL_365)
        )
        bad = rng.random() < min(0.95, pd * m.multiplier)
        stop_at = len(schedule.payments) + 1
        if bad:
            stop_at = 1 if rng.random() < m.fpd_share else int(rng.integers(2, max(3, len(schedule.payments))))
        receipts: list[Receipt] = []
        for inst in schedule.payments:
            if inst.number >= stop_at:
                break
            paid_on = inst.date + timedelta(days=int(rng.choice([0, 0, 0, 0, 0, -2, 1, 3, 9])))
            if paid_on > today or paid_on < issue:
                break
            receipts.append(Receipt(paid_on, rounded_up(inst.payment), ref=len(receipts) + 1))
        terms = Terms(amount=amount, annual_rate=rate, issue_date=issue, penalty_rate=Decimal(p["penalty_rate"]),
                      penalty_basis=p["penalty_basis"])
        plan = tuple(Instalment(i.number, i.date, i.principal, i.interest, i.fee) for i in schedule.payments)
        state = book_state(replay(terms, plan, History(tuple(receipts)), as_of=today))
        passport = f"{45 + n // 1_000_000 % 50:02d}{n % 100:02d}{n // 100 % 1_000_000:06d}"
        branch = m.scope if m.channel == "branch" else None
        partner = m.scope if m.channel == "pos" else None
        rows.applications.append(app_cols.row({
            "id": loan_id, "product_code": m.product, "amount": amount, "term_months": term, "purpose": "consumer",
            "manager_id": m.id, "channel": m.channel, "branch_id": branch, "partner_id": partner,
            "created_by_key": key_ids[m.scope], "full_name": f"{NAMES[n % 8]} {FIRST[n // 8 % 8]}",
            "birth_date": date(1960 + n % 40, 1 + n % 12, 1), "passport_number": passport,
            "phone": f"+79{n % 1_000_000_000:09d}", "monthly_income": Decimal(40_000 + 1000 * (n % 300)),
            "employment_months": 6 + n % 200, "dependents": n % 3, "missing_documents": [],
            "score": int(600 - 30 * np.log2(pd / 0.02)), "pd": f"{pd:.6f}", "grade": grade, "rating_reasons": [],
            "scorecard_version": "demo-book", "decision": "approve", "decision_reasons": ["demo"],
            "policy_version": "demo-book", "annual_rate": rate, "regular_payment": schedule.regular_payment,
            "loan_id": loan_id,
            "contract": {"issue_date": issue.isoformat(), "method": "annuity", "day_count": "actual/365",
                         "psk_percent": format(schedule.psk_percent, "f")},
        }))
        rows.loans.append(loan_cols.row({
            "id": loan_id, "application_id": loan_id, "product_code": m.product, "manager_id": m.id,
            "channel": m.channel, "branch_id": branch, "partner_id": partner, "amount": amount, "annual_rate": rate,
            "term_months": term, "issue_date": issue, "pd_at_issue": pd, "grade_at_issue": grade,
            "psk_percent": schedule.psk_percent, "penalty_rate": terms.penalty_rate,
            "penalty_basis": p["penalty_basis"], "fpd_deadline": schedule.payments[0].date + timedelta(days=30),
            **state.columns(),
        }))
        for i in schedule.payments:
            rows.instalments.append(inst_cols.row({
                "id": next(ids), "loan_id": loan_id, "revision": 0, "number": i.number, "due_date": i.date,
                "principal": i.principal, "interest": i.interest, "fee": i.fee,
            }))
        for r in receipts:
            rows.payments.append(pay_cols.row({
                "id": next(ids), "loan_id": loan_id, "amount": r.amount, "paid_on": r.paid_on, "received_at": now,
            }))
        rows.issued[(m.id, issue.strftime("%Y-%m"))] += amount
    return rows


def _write(engine: Engine, rows: Rows) -> None:
    """COPY on PostgreSQL, executemany on SQLite, in one transaction per batch."""
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        for table, values in (
            (APPLICATION, rows.applications), (LOAN, rows.loans), (INSTALMENT, rows.instalments),
            (PAYMENT, rows.payments),
        ):
            names = ", ".join(f'"{c.name}"' for c in table.columns)
            if engine.dialect.name == "postgresql":
                with cur.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
                    for v in values:
                        copy.write_row(v)
            else:
                marks = ", ".join("?" for _ in table.columns)
                cur.executemany(f"INSERT INTO {table.name} ({names}) VALUES ({marks})", values)  # noqa: S608
        raw.commit()
    finally:
        raw.close()


def _worker(args: tuple[Any, ...]) -> dict[tuple[str, str], Decimal]:
    database_url, managers, start, stop, first_id, id_base, seed, today, product_terms, key_ids = args
    engine = make_engine(Settings(database_url=database_url))
    issued: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    ids = iter(range(id_base, id_base + 200 * (stop - start)))  # instalment and payment ids of this slice
    try:
        for lo in range(start, stop, BATCH):
            rows = _loans_of(managers, lo, min(lo + BATCH, stop), first_id, seed, today, product_terms, key_ids,
                             engine.dialect, ids)
            _write(engine, rows)
            for k, v in rows.issued.items():
                issued[k] += v
    finally:
        engine.dispose()
    return dict(issued)


def build_book(
    settings: Settings, engine: Engine, *, loans: int, seed: int, today: date, workers: int = 2
) -> list[str]:
    started = time.perf_counter()
    managers = population(loans, seed)
    with Session(engine) as session:
        if session.execute(select(func.count()).select_from(LOAN)).scalar_one():
            return ["the database already holds loans: the bulk demo builds a book only into an empty one"]
        key_ids: dict[str, int] = {}
        for m in managers:
            session.add(ManagerRow(id=m.id, name=f"Менеджер {m.id}", channel=m.channel, segment=m.segment,
                                   specialisation=m.product, branch_id=m.scope if m.channel == "branch" else None,
                                   partner_id=m.scope if m.channel == "pos" else None))
            if m.scope not in key_ids:
                role = Role.BRANCH if m.channel == "branch" else Role.PARTNER
                row, _ = keys.create_key(session, role=role, name=f"demo-frontend-{m.scope}", actor="demo",
                                         branch_id=m.scope if role is Role.BRANCH else None,
                                         partner_id=m.scope if role is Role.PARTNER else None)
                keys.revoke_key(session, row.id or 0, actor="demo")
                key_ids[m.scope] = row.id or 0
        product_terms = {}
        for code in {m.product for m in managers}:
            p = products.get_product(session, code)
            assert p is not None
            terms = [t for t in (6, 10, 12, 18, 24, 36, 60) if p.min_term_months <= t <= p.max_term_months]
            product_terms[code] = {
                "terms": terms or [p.min_term_months], "min_amount": float(p.min_amount),
                "max_amount": float(min(p.max_amount, p.min_amount * 20)), "rate": str(p.annual_rate),
                "rates": {g: str(r) for g, r in (p.rate_by_grade or {}).items()},
                "penalty_rate": "20", "penalty_basis": "annual",
            }
        session.commit()
    slices = np.linspace(0, loans, workers + 1).astype(int)
    jobs = [
        (settings.database_url, managers, int(a), int(b), 1, 1 + int(a) * 200, seed, today, product_terms, key_ids)
        for a, b in itertools.pairwise(slices)
    ]
    if workers > 1 and engine.dialect.name == "postgresql":
        with multiprocessing.get_context("spawn").Pool(workers) as pool:
            results = pool.map(_worker, jobs)
    else:
        results = [_worker(job) for job in jobs]
    issued: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for r in results:
        for k, v in r.items():
            issued[k] += v
    rng = np.random.default_rng([seed, 7])
    planted = {m.id for m in managers if m.planted}
    with Session(engine) as session:
        for (manager, month), volume in sorted(issued.items()):
            # plans differ by manager and month; planted managers were chasing a plan set too high
            pressure = rng.uniform(1.3, 1.8) if manager in planted else rng.uniform(0.8, 1.25)
            session.add(ManagerPlanRow(manager_id=manager, period=month,
                                       volume=(volume * Decimal(str(round(pressure, 3)))).quantize(Decimal(1000))))
        if engine.dialect.name == "postgresql":
            for table in ("application", "loan", "loan_instalment", "loan_payment"):
                session.exec(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # type: ignore[call-overload]  # noqa: S608
                                  f"(SELECT coalesce(max(id), 1) FROM {table}))"))
            session.exec(text("ANALYZE"))  # type: ignore[call-overload]
        session.commit()
    seconds = time.perf_counter() - started
    return [
        f"bulk demo book: {loans} loans of {len(managers)} managers in {seconds:.0f} s "
        f"({loans / seconds:,.0f} loans/s, {workers} workers)",
        f"planted problem managers: {', '.join(sorted(planted)) or 'none'}",
    ]
