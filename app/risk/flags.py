"""The security service's flags for every manager: the statistics of ``scoring`` on SQL cells.

Every registered manager gets a row (flagged, within limits, or insufficient data and why),
so a risk officer sees the honest managers beside the flagged ones. The tests run on the
whole book whatever the filters: the honest spread and the false-discovery threshold are
properties of the portfolio, and a filter that changed them would change who is flagged.
Filters, sorting and pages only choose which rows are shown.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
from sqlmodel import Session, select

from app.core.errors import Unprocessable
from app.core.pagination import PageRequest, decode_cursor, encode_cursor
from app.managers.table import ManagerRow
from app.risk.loan_facts import Cells, issued_by_period, loan_cells, plans
from schemas.managers import PlanFulfilment
from schemas.portfolio import FlagSort, FlagStatus, ManagerFlag, ManagerFlags
from scoring import ManagerFlagReport, flag_first_payment_default_grouped, flag_managers_grouped

_KIND = "manager-flags"


@dataclass(frozen=True, slots=True)
class FlagFilters:
    segment: str | None = None
    branch_id: str | None = None
    partner_id: str | None = None
    status: FlagStatus | None = None

    def keep(self, f: ManagerFlag) -> bool:
        return (
            (self.segment is None or f.segment == self.segment)
            and (self.branch_id is None or f.branch_id == self.branch_id)
            and (self.partner_id is None or f.partner_id == self.partner_id)
            and (self.status is None or f.status is self.status)
        )


@dataclass(frozen=True, slots=True)
class FlagRun:
    """The whole run: the response's rows and the reports the funnel plot draws."""

    flags: ManagerFlags
    rows: list[ManagerFlag]
    report: ManagerFlagReport | None
    fpd_report: ManagerFlagReport | None


def fulfilment(session: Session, manager_id: str | None, as_of: date) -> dict[str, list[PlanFulfilment]]:
    issued = issued_by_period(session, manager_id=manager_id, up_to=as_of)
    out: dict[str, list[PlanFulfilment]] = {}
    for plan in plans(session, manager_id=manager_id, up_to=as_of.strftime("%Y-%m")):
        done = issued.get((plan.manager_id, plan.period), Decimal("0.00"))
        ratio = None if plan.volume == 0 else format((done / plan.volume).quantize(Decimal("0.0001")), "f")
        out.setdefault(plan.manager_id, []).append(
            PlanFulfilment(period=plan.period, volume=plan.volume, issued=done, fulfilment=ratio)
        )
    return out


def plan_ratio(items: list[PlanFulfilment]) -> float | None:
    planned = sum((p.volume for p in items), Decimal(0))
    if planned == 0:
        return None
    return float(sum((p.issued for p in items), Decimal(0)) / planned)


def _num(x: Any, digits: int | None = None) -> float | None:
    """A finite float for JSON (inf and NaN are null), optionally rounded."""
    v = float(x)
    if not math.isfinite(v):
        return None
    return round(v, digits) if digits is not None else v


def _sentence(ratio: float | None, q: float | None, fpd_ratio: float | None, fpd_flag: bool,
              plan: float | None) -> str:
    parts = []
    if ratio is not None and q is not None:
        parts.append(f"problem loans {ratio:.1f}x expected (q={q:.3g})")
    if fpd_flag and fpd_ratio is not None:
        parts.append(f"first-payment defaults {fpd_ratio:.1f}x expected")
    if plan is not None:
        parts.append(f"plan {plan * 100:.0f}% fulfilled")
    return "; ".join(parts)


def _reports(cells: Cells, peer: dict[str, str], fdr: float, min_expected: float
             ) -> tuple[ManagerFlagReport | None, ManagerFlagReport | None]:
    seasoned = cells.seasoned_pd
    live = seasoned > 0
    report = None
    if live.any():
        report = flag_managers_grouped(
            cells.manager[live], seasoned[live], cells.n[live], np.where(cells.problem, cells.n, 0)[live],
            peer_group=np.array([peer.get(str(m), "") for m in cells.manager[live]]),
            fdr=fdr, min_expected=min_expected,
        )
    seen = cells.fpd_observable & (cells.pd > 0)
    fpd = None
    if seen.any():
        fpd = flag_first_payment_default_grouped(
            cells.manager[seen], cells.pd[seen], cells.n[seen], np.where(cells.fpd, cells.n, 0)[seen],
            fdr=fdr, min_expected=min_expected,
        )
    return report, fpd


def _row(m: ManagerRow | None, mid: str, rep: ManagerFlagReport | None, i: int, fpd: ManagerFlagReport | None,
         j: int, plan: float | None) -> ManagerFlag:
    has, has_f = rep is not None and i >= 0, fpd is not None and j >= 0
    ratio = _num(rep.ratio[i], 4) if has and rep is not None else None
    q = _num(rep.q_value[i]) if has and rep is not None else None
    flagged = bool(rep.flagged[i]) if has and rep is not None else False
    tested = bool(rep.tested[i]) if has and rep is not None else False
    fpd_flag = bool(fpd.flagged[j]) if has_f and fpd is not None else False
    fpd_tested = bool(fpd.tested[j]) if has_f and fpd is not None else False
    fpd_ratio = _num(fpd.ratio[j], 4) if has_f and fpd is not None else None
    if flagged or fpd_flag:
        status = FlagStatus.FLAGGED
    elif tested or fpd_tested:
        status = FlagStatus.WITHIN_LIMITS
    else:
        status = FlagStatus.INSUFFICIENT_DATA
    none_yet = "insufficient data: no loan old enough to show a problem"
    reason = str(rep.reasons[i]) if has and rep is not None else none_yet
    return ManagerFlag(
        manager_id=mid,
        name=m.name if m else None,
        segment=m.segment if m else None,
        channel=m.channel if m else None,
        branch_id=m.branch_id if m else None,
        partner_id=m.partner_id if m else None,
        status=status,
        loans=int(rep.loans[i]) if has and rep is not None else 0,
        observed=int(rep.observed[i]) if has and rep is not None else 0,
        expected=round(float(rep.expected[i]), 3) if has and rep is not None else 0.0,
        ratio=ratio,
        p_value=_num(rep.p_value[i]) if has and rep is not None else None,
        q_value=q,
        flagged=flagged,
        tested=tested,
        lower_95=_num(rep.lower_95[i], 4) if has and rep is not None else None,
        upper_95=_num(rep.upper_95[i], 4) if has and rep is not None else None,
        upper_998=_num(rep.upper_998[i], 4) if has and rep is not None else None,
        decision_limit=_num(rep.decision_limit[i], 4) if has and rep is not None else None,
        fpd_loans=int(fpd.loans[j]) if has_f and fpd is not None else 0,
        fpd_observed=int(fpd.observed[j]) if has_f and fpd is not None else 0,
        fpd_expected=round(float(fpd.expected[j]), 3) if has_f and fpd is not None else 0.0,
        fpd_ratio=fpd_ratio,
        fpd_p_value=_num(fpd.p_value[j]) if has_f and fpd is not None else None,
        fpd_q_value=_num(fpd.q_value[j]) if has_f and fpd is not None else None,
        fpd_flagged=fpd_flag,
        fpd_decision_limit=_num(fpd.decision_limit[j], 4) if has_f and fpd is not None else None,
        fpd_reason=str(fpd.reasons[j]) if has_f and fpd is not None else None,
        plan_fulfilment=round(plan, 4) if plan is not None else None,
        summary=_sentence(ratio, q, fpd_ratio, fpd_flag, plan),
        reason=reason,
    )


def run(session: Session, *, as_of: date, business_date: date, fdr: float = 0.05,
        min_expected: float = 5.0) -> FlagRun:
    """Test every manager as of a date (one GROUP BY, the plans, the managers: three queries)."""
    cells = loan_cells(session, as_of=as_of, business_date=business_date)
    info = {m.id: m for m in session.exec(select(ManagerRow)).all()}
    peer = {k: (v.segment or v.channel) for k, v in info.items()}
    report, fpd = _reports(cells, peer, fdr, min_expected)
    plan_items = fulfilment(session, None, as_of)
    index = {str(m): i for i, m in enumerate(report.managers)} if report is not None else {}
    fpd_index = {str(m): j for j, m in enumerate(fpd.managers)} if fpd is not None else {}
    ids = sorted(set(info) | set(index) | set(fpd_index))
    rows = [
        _row(info.get(mid), mid, report, index.get(mid, -1), fpd, fpd_index.get(mid, -1),
             plan_ratio(plan_items.get(mid, [])))
        for mid in ids
    ]
    counts = {s.value: sum(1 for r in rows if r.status is s) for s in FlagStatus}
    flags = ManagerFlags(
        as_of=as_of,
        source=cells.source,
        managers_tested=int(report.tested.sum()) if report is not None else 0,
        fdr=fdr,
        phi=_num(report.phi) if report is not None else None,
        tau2=float(report.tau2) if report is not None else 0.0,
        decision_p=float(report.decision_p) if report is not None else None,
        counts=counts,
        flagged=[],
    )
    return FlagRun(flags, rows, report, fpd)


def _key(sort: FlagSort) -> tuple[str, bool]:
    name = sort.value.lstrip("-")
    return name, sort.value.startswith("-")


def _sorted(rows: list[ManagerFlag], sort: FlagSort) -> list[ManagerFlag]:
    name, desc = _key(sort)
    present = [r for r in rows if getattr(r, name) is not None]
    missing = [r for r in rows if getattr(r, name) is None]  # nulls last either way
    present.sort(key=lambda r: r.manager_id)
    present.sort(key=lambda r: getattr(r, name), reverse=desc)
    return present + sorted(missing, key=lambda r: r.manager_id)


def _most_significant(rows: list[ManagerFlag]) -> list[ManagerFlag]:
    return sorted(rows, key=lambda x: (x.q_value if x.q_value is not None else 1.0,
                                       x.fpd_q_value if x.fpd_q_value is not None else 1.0, -(x.ratio or 0)))


def page(flag_run: FlagRun, *, filters: FlagFilters, sort: FlagSort, page: PageRequest | None) -> ManagerFlags:
    """The response: the run's header, the flagged managers and one page of every manager."""
    kept = _sorted([r for r in flag_run.rows if filters.keep(r)], sort)
    flagged = _most_significant([r for r in kept if r.status is FlagStatus.FLAGGED])
    if page is None:
        return flag_run.flags.model_copy(update={"flagged": flagged, "items": kept})
    start = 0
    if page.cursor is not None:
        sort_name, last = decode_cursor(_KIND, page.cursor, arity=2)
        at = [i for i, r in enumerate(kept) if r.manager_id == last]
        if sort_name != sort.value or not at:
            raise Unprocessable(
                "The cursor belongs to another sort or date; start without it.",
                errors=[{"parameter": "cursor", "detail": "not a cursor of this list"}],
            )
        start = at[0] + 1
    items = kept[start : start + page.limit]
    more = start + page.limit < len(kept)
    cursor = encode_cursor(_KIND, [sort.value, items[-1].manager_id]) if more and items else None
    return flag_run.flags.model_copy(update={"flagged": flagged, "items": items, "next_cursor": cursor})


CSV_COLUMNS = (
    "manager_id", "name", "segment", "channel", "branch_id", "partner_id", "status", "loans", "observed",
    "expected", "ratio", "p_value", "q_value", "lower_95", "upper_95", "upper_998", "decision_limit",
    "fpd_loans", "fpd_observed", "fpd_expected", "fpd_ratio", "fpd_q_value", "fpd_flagged", "fpd_decision_limit",
    "plan_fulfilment", "reason",
)


def csv_rows(flags: ManagerFlags) -> list[list[str]]:
    def cell(v: Any) -> str:
        if v is None:
            return ""
        if isinstance(v, bool):
            return "true" if v else "false"
        return str(v.value if isinstance(v, FlagStatus) else v)

    return [list(CSV_COLUMNS), *([cell(getattr(r, c)) for c in CSV_COLUMNS] for r in flags.items)]
