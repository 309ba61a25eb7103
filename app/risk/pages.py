"""What the dashboard's pages show: the context each template gets, built from the risk rules.

Kept apart from the router (which only turns HTTP into calls and pages) so that a page's
content is testable without a browser and the router stays small.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session, select

from app.core.pagination import PageRequest
from app.core.security import Principal
from app.loans import lists
from app.managers.table import ManagerRow
from app.risk import charts, service, snapshots
from app.risk import flags as flag_rules
from app.risk.funnel_plot import funnel_plot
from app.servicing.delinquency import BUCKETS
from schemas.portfolio import FlagSort, FlagStatus

LOANS_PER_PAGE = 25


@dataclass(frozen=True, slots=True)
class Choices:
    segments: list[str]
    branches: list[str]
    partners: list[str]
    statuses: list[str]


def _choices(session: Session) -> Choices:
    rows = session.exec(select(ManagerRow.segment, ManagerRow.branch_id, ManagerRow.partner_id)).all()
    return Choices(
        segments=sorted({s for s, _, _ in rows if s}),
        branches=sorted({b for _, b, _ in rows if b}),
        partners=sorted({p for _, _, p in rows if p}),
        statuses=[s.value for s in FlagStatus],
    )


def filters_from(segment: str | None, branch_id: str | None, partner_id: str | None,
                 status: str | None) -> flag_rules.FlagFilters:
    """Form values to filters: an empty select ("all") or an unknown status means no filter."""
    known = {s.value for s in FlagStatus}
    return flag_rules.FlagFilters(
        segment=segment or None,
        branch_id=branch_id or None,
        partner_id=partner_id or None,
        status=FlagStatus(status) if status in known else None,
    )


def overview(session: Session, *, as_of: date, business_date: date,
             filters: flag_rules.FlagFilters) -> dict[str, Any]:
    run = flag_rules.run(session, as_of=as_of, business_date=business_date)
    flags = flag_rules.page(run, filters=filters, sort=FlagSort.Q, page=None)
    shown = {f.manager_id for f in flags.items}
    plot = funnel_plot(run.report, as_of=str(as_of), only=shown) if run.report is not None else None
    fpd_plot = funnel_plot(run.fpd_report, as_of=str(as_of), only=shown) if run.fpd_report is not None else None
    return {
        "flags": flags, "plot": plot, "fpd_plot": fpd_plot, "filters": filters, "choices": _choices(session),
        "month_ends": snapshots.month_ends(session, up_to=business_date), "as_of": as_of,
        "business_date": business_date,
    }


def manager(session: Session, *, manager_id: str, principal: Principal, as_of: date, business_date: date,
            cursor: str | None) -> dict[str, Any]:
    """A manager's page; raises NotFound for a manager the caller cannot see."""
    p = service.portfolio(session=session, manager_id=manager_id, principal=principal, as_of=as_of,
                          business_date=business_date)
    run = flag_rules.run(session, as_of=as_of, business_date=business_date)
    flag = next((r for r in run.rows if r.manager_id == manager_id), None)
    picker = snapshots.month_ends(session, up_to=business_date)
    ends = [e for e in picker if e <= as_of]
    made = (
        charts.vintage_chart(snapshots.vintages(session, manager_id, ends)),
        charts.bucket_chart(snapshots.bucket_history(session, manager_id, ends)),
        charts.plan_chart(snapshots.plan_against_issued(session, manager_id, as_of)),
    )
    loans, next_cursor = lists.loans(
        session=session, principal=principal, page=PageRequest(limit=LOANS_PER_PAGE, cursor=cursor),
        filters=lists.LoanFilters(manager_id=manager_id), as_of=as_of, today=business_date,
    )
    return {
        "p": p, "flag": flag, "charts": [c for c in made if c is not None],
        "rolls": snapshots.roll_rates(session, manager_id, ends), "states": snapshots.STATES, "buckets": BUCKETS,
        "plan_months": snapshots.plan_against_issued(session, manager_id, as_of),
        "loans": loans, "next_cursor": next_cursor, "loan_count": snapshots.loans_count(session, manager_id, as_of),
        "month_ends": picker, "as_of": as_of,
        "business_date": business_date,
    }
