"""Portfolios and flags: SQL brings per-loan facts, ``scoring`` does the statistics."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

import numpy as np
from sqlmodel import Session, select

from app.audit import service as audit
from app.core.security import Principal
from app.managers import service as managers
from app.managers.table import ManagerPlanRow, ManagerRow
from app.risk.loan_facts import BUCKETS, LoanFacts, issued_by_period, loan_facts, plans
from schemas.managers import PlanFulfilment, PlanSet
from schemas.portfolio import CountVolume, ManagerFlag, ManagerFlags, Portfolio, Vintage
from scoring import flag_first_payment_default, flag_managers

KOP = Decimal("0.01")


def _money(kop: int) -> Decimal:
    return (Decimal(int(kop)) * KOP).quantize(KOP)


def _fulfilment(session: Session, manager_id: str | None, as_of: date) -> dict[str, list[PlanFulfilment]]:
    issued = issued_by_period(session, manager_id=manager_id, up_to=as_of)
    out: dict[str, list[PlanFulfilment]] = defaultdict(list)
    for plan in plans(session, manager_id=manager_id, up_to=as_of.strftime("%Y-%m")):
        done = issued.get((plan.manager_id, plan.period), Decimal("0.00"))
        ratio = None if plan.volume == 0 else format((done / plan.volume).quantize(Decimal("0.0001")), "f")
        out[plan.manager_id].append(
            PlanFulfilment(period=plan.period, volume=plan.volume, issued=done, fulfilment=ratio)
        )
    return out


def portfolio(*, session: Session, manager_id: str, principal: Principal, as_of: date) -> Portfolio:
    managers.get_visible_row(session=session, manager_id=manager_id, principal=principal)
    f = loan_facts(session, as_of=as_of, manager_id=manager_id)
    problem = f.problem
    n = int(f.loan_id.size)
    buckets = np.bincount(f.bucket_index, minlength=len(BUCKETS)) if n else np.zeros(len(BUCKETS), dtype=int)
    open_buckets = np.bincount(f.bucket_index[~f.closed], minlength=len(BUCKETS)) if n else buckets
    expected = float(f.seasoned_pd.sum())
    return Portfolio(
        manager_id=manager_id,
        as_of=as_of,
        issued=CountVolume(count=n, volume=_money(int(f.amount_kop.sum()))),
        active_loans=int((~f.closed).sum()),
        closed_loans=int(f.closed.sum()),
        problem_loans=CountVolume(count=int(problem.sum()), volume=_money(int(f.amount_kop[problem].sum()))),
        fpd_rate=float(f.fpd.mean()) if n else None,
        expected_problems=round(expected, 4),
        observed_to_expected=round(float(problem.sum()) / expected, 4) if expected > 0 else None,
        buckets={b: int(c) for b, c in zip(BUCKETS, open_buckets if n else buckets, strict=True)},
        vintages=_vintages(f),
        plans=_fulfilment(session, manager_id, as_of).get(manager_id, []),
    )


def _vintages(f: LoanFacts) -> list[Vintage]:
    if not f.loan_id.size:
        return []
    months, idx = np.unique(f.issue_month, return_inverse=True)
    count = np.bincount(idx)
    # Exact volumes: kopecks summed in integers (bincount weights would go through float).
    exact = [int(f.amount_kop[idx == i].sum()) for i in range(months.size)]
    problem = np.bincount(idx, weights=f.problem.astype(np.int64))
    fpd = np.bincount(idx, weights=f.fpd.astype(np.int64))
    return [
        Vintage(
            month=str(m),
            count=int(count[i]),
            volume=_money(exact[i]),
            problem_count=int(problem[i]),
            fpd_count=int(fpd[i]),
        )
        for i, m in enumerate(months)
    ]


def set_plan(
    *, session: Session, manager_id: str, plan: PlanSet, principal: Principal, as_of: date
) -> list[PlanFulfilment]:
    managers.get_visible_row(session=session, manager_id=manager_id, principal=principal)
    row = session.get(ManagerPlanRow, (manager_id, plan.period))
    if row is None:
        row = ManagerPlanRow(manager_id=manager_id, period=plan.period, volume=plan.volume)
    else:
        row.volume = plan.volume
    session.add(row)
    audit.record(
        session,
        actor=principal.actor,
        action="manager.plan_set",
        entity="manager",
        entity_id=manager_id,
        detail={"period": plan.period, "volume": format(plan.volume, "f")},
    )
    session.flush()
    return _fulfilment(session, manager_id, as_of).get(manager_id, [])


def _plan_ratio(items: list[PlanFulfilment]) -> float | None:
    planned = sum((p.volume for p in items), Decimal(0))
    if planned == 0:
        return None
    return float(sum((p.issued for p in items), Decimal(0)) / planned)


def _sentence(
    ratio: float | None, q: float | None, fpd_ratio: float | None, fpd_flag: bool, plan: float | None
) -> str:
    parts = []
    if ratio is not None and q is not None:
        parts.append(f"problem loans {ratio:.1f}x expected (q={q:.3g})")
    if fpd_flag and fpd_ratio is not None:
        parts.append(f"first-payment defaults {fpd_ratio:.1f}x expected")
    if plan is not None:
        parts.append(f"plan {plan * 100:.0f}% fulfilled")
    return "; ".join(parts)


def manager_flags(
    *, session: Session, as_of: date, fdr: float = 0.05, min_expected: float = 5.0
) -> tuple[ManagerFlags, dict[str, object]]:
    """The flag list, and the full report's arrays for the funnel plot."""
    f = loan_facts(session, as_of=as_of)
    info = {m.id: m for m in session.exec(select(ManagerRow)).all()}
    plan_items = _fulfilment(session, None, as_of)
    if not f.loan_id.size:
        return ManagerFlags(as_of=as_of, managers_tested=0, fdr=fdr, phi=None, flagged=[]), {}
    # Only loans old enough to show the outcome take part: a loan too young to be 90+ days
    # past due (or whose first payment is not yet 30 days overdue) is neither observed nor expected.
    seasoned = f.seasoned_pd > 0
    if not seasoned.any():
        return ManagerFlags(as_of=as_of, managers_tested=0, fdr=fdr, phi=None, flagged=[]), {}
    report = flag_managers(
        f.manager[seasoned],
        f.seasoned_pd[seasoned],
        f.problem[seasoned].astype(np.int64),
        fdr=fdr,
        min_expected=min_expected,
    )
    seen = f.fpd_observable
    fpd = flag_first_payment_default(
        f.manager[seen], f.pd[seen], f.fpd[seen].astype(np.int64), fdr=fdr, min_expected=min_expected
    )
    fpd_index = {str(m): i for i, m in enumerate(fpd.managers)}
    missing = -1
    flagged = []
    for i, m in enumerate(report.managers):
        mid = str(m)
        j = fpd_index.get(mid, missing)
        if not (report.flagged[i] or (j >= 0 and fpd.flagged[j])):
            continue
        plan = _plan_ratio(plan_items.get(mid, []))
        q = float(report.q_value[i]) if np.isfinite(report.q_value[i]) else None
        ratio = float(report.ratio[i]) if np.isfinite(report.ratio[i]) else None
        has_fpd = j >= 0
        fpd_ratio = float(fpd.ratio[j]) if has_fpd and np.isfinite(fpd.ratio[j]) else None
        fpd_flag = bool(fpd.flagged[j]) if has_fpd else False
        fpd_q = float(fpd.q_value[j]) if has_fpd and np.isfinite(fpd.q_value[j]) else None
        manager = info.get(mid)
        flagged.append(
            ManagerFlag(
                manager_id=mid,
                name=manager.name if manager else None,
                segment=manager.segment if manager else None,
                loans=int(report.loans[i]),
                observed=int(report.observed[i]),
                expected=round(float(report.expected[i]), 3),
                ratio=round(ratio, 3) if ratio is not None else None,
                p_value=float(report.p_value[i]),
                q_value=q,
                flagged=bool(report.flagged[i]),
                fpd_observed=int(fpd.observed[j]) if has_fpd else 0,
                fpd_expected=round(float(fpd.expected[j]), 3) if has_fpd else 0.0,
                fpd_q_value=fpd_q,
                fpd_flagged=fpd_flag,
                plan_fulfilment=round(plan, 4) if plan is not None else None,
                summary=_sentence(ratio, q, fpd_ratio, fpd_flag, plan),
                reason=str(report.reasons[i]),
            )
        )
    flagged.sort(key=lambda x: (x.q_value if x.q_value is not None else 1.0, -(x.ratio or 0)))
    result = ManagerFlags(
        as_of=as_of,
        managers_tested=int(report.tested.sum()),
        fdr=fdr,
        phi=float(report.phi) if np.isfinite(report.phi) else None,
        flagged=flagged,
    )
    return result, {"report": report, "names": {k: v.name for k, v in info.items()}}
