"""Portfolios and plans: SQL brings cells of the stored state (or a snapshot, or a replay),
numpy adds them up; the flags are in ``app.risk.flags``."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import numpy as np
from sqlmodel import Session

from app.audit import service as audit
from app.core.security import Principal
from app.managers import service as managers
from app.managers.table import ManagerPlanRow
from app.risk.flags import fulfilment
from app.risk.loan_facts import Cells, loan_cells
from app.servicing.delinquency import BUCKETS
from schemas.managers import PlanFulfilment, PlanSet
from schemas.portfolio import CountVolume, Portfolio, Vintage

KOP = Decimal("0.01")


def _money(kop: int) -> Decimal:
    return (Decimal(int(kop)) * KOP).quantize(KOP)


def portfolio(
    *, session: Session, manager_id: str, principal: Principal, as_of: date, business_date: date
) -> Portfolio:
    managers.get_visible_row(session=session, manager_id=manager_id, principal=principal)
    c = loan_cells(session, as_of=as_of, business_date=business_date, manager_id=manager_id)
    n = int(c.n.sum())
    problem = np.where(c.problem, c.n, 0)
    open_n = np.where(c.closed, 0, c.n)
    buckets = np.bincount(c.bucket, weights=open_n, minlength=len(BUCKETS)) if c.size else np.zeros(len(BUCKETS))
    expected = float((c.seasoned_pd * c.n).sum())
    observed = int(problem.sum())
    seen = np.where(c.fpd_observable, c.n, 0)
    return Portfolio(
        manager_id=manager_id,
        as_of=as_of,
        source=c.source,
        issued=CountVolume(count=n, volume=_money(int(c.amount_kop.sum()))),
        active_loans=int(open_n.sum()),
        closed_loans=n - int(open_n.sum()),
        problem_loans=CountVolume(count=observed, volume=_money(int(c.amount_kop[c.problem].sum()))),
        fpd_rate=float(np.where(c.fpd, seen, 0).sum() / seen.sum()) if seen.sum() else None,
        expected_problems=round(expected, 4),
        observed_to_expected=round(observed / expected, 4) if expected > 0 else None,
        buckets={b: int(v) for b, v in zip(BUCKETS, buckets, strict=True)},
        vintages=_vintages(c),
        plans=fulfilment(session, manager_id, as_of).get(manager_id, []),
    )


def _vintages(c: Cells) -> list[Vintage]:
    if not c.size:
        return []
    months, idx = np.unique(c.issue_month, return_inverse=True)
    count = np.bincount(idx, weights=c.n)
    # Exact volumes: kopecks summed in integers (bincount weights would go through float).
    exact = [int(c.amount_kop[idx == i].sum()) for i in range(months.size)]
    problem = np.bincount(idx, weights=np.where(c.problem, c.n, 0))
    fpd = np.bincount(idx, weights=np.where(c.fpd, c.n, 0))
    return [
        Vintage(month=str(m), count=int(count[i]), volume=_money(exact[i]), problem_count=int(problem[i]),
                fpd_count=int(fpd[i]))
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
    return fulfilment(session, manager_id, as_of).get(manager_id, [])


