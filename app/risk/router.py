"""Risk officers' routes: portfolios, plans and the security service's flags."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.core.errors import problem_responses
from app.deps import AsOf, ManagerPath, ReadSession, ServiceRoute, Today, WriteSession
from app.deps import RiskOfficer as RiskReader
from app.risk import service
from schemas.managers import PlanFulfilment, PlanSet
from schemas.portfolio import ManagerFlags, Portfolio

router = APIRouter(prefix="/v1", tags=["risk"], route_class=ServiceRoute)


@router.get(
    "/managers/{manager_id}/portfolio",
    summary="A manager's portfolio as of a date",
    responses=problem_responses(401, 403, 404, 422, 429, 503),
)
def get_portfolio(
    manager_id: ManagerPath, principal: RiskReader, session: ReadSession, as_of: AsOf
) -> Portfolio:
    return service.portfolio(session=session, manager_id=manager_id, principal=principal, as_of=as_of)


@router.put(
    "/managers/{manager_id}/plan",
    summary="Set a manager's plan for a month; returns plan fulfilment",
    responses=problem_responses(401, 403, 404, 413, 422, 429, 503),
)
def set_plan(
    manager_id: ManagerPath, body: PlanSet, principal: RiskReader, session: WriteSession, day: Today
) -> list[PlanFulfilment]:
    return service.set_plan(session=session, manager_id=manager_id, plan=body, principal=principal, as_of=day)


@router.get(
    "/risk/manager-flags",
    summary="Managers with more problem loans than their PDs explain",
    responses=problem_responses(401, 403, 422, 429, 503),
)
def manager_flags(
    _: RiskReader,
    session: ReadSession,
    day: Today,
    as_of: AsOf,
    fdr: Annotated[float, Query(gt=0, le=0.5, description="False discovery rate")] = 0.05,
    min_expected: Annotated[float, Query(ge=1, le=1000)] = 5.0,
) -> ManagerFlags:
    return service.manager_flags(session=session, as_of=as_of, fdr=fdr, min_expected=min_expected)[0]
