"""Managers' portfolios and the security service's flags."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from schemas.managers import PlanFulfilment
from schemas.money import Money


class CountVolume(BaseModel):
    count: int
    volume: Money


class Vintage(BaseModel):
    month: str = Field(examples=["2026-03"])
    count: int
    volume: Money
    problem_count: int
    fpd_count: int


class Portfolio(BaseModel):
    manager_id: str
    as_of: dt.date
    issued: CountVolume
    active_loans: int
    closed_loans: int
    problem_loans: CountVolume = Field(description="90+ days past due: count and issued volume")
    fpd_rate: float | None = Field(description="Share of loans whose first instalment went 30+ days late")
    expected_problems: float = Field(
        description="Sum over the loans of PD at issue, each scaled by the share of its 12-month "
        "window lived through (from 120 days on book)"
    )
    observed_to_expected: float | None
    buckets: dict[str, int] = Field(description="Loans by delinquency bucket (closed loans count as current)")
    vintages: list[Vintage]
    plans: list[PlanFulfilment]


class ManagerFlag(BaseModel):
    manager_id: str
    name: str | None
    segment: str | None
    loans: int
    observed: int
    expected: float
    ratio: float | None
    p_value: float
    q_value: float | None
    flagged: bool
    fpd_observed: int
    fpd_expected: float
    fpd_q_value: float | None
    fpd_flagged: bool
    plan_fulfilment: float | None = Field(
        description="Issued / planned volume over the plan periods up to as_of"
    )
    summary: str = Field(examples=["problem loans 3.1x expected (q=0.002); plan 160% fulfilled"])
    reason: str


class ManagerFlags(BaseModel):
    as_of: dt.date
    managers_tested: int
    fdr: float
    phi: float | None = Field(description="Overdispersion estimate (Spiegelhalter); null if none tested")
    flagged: list[ManagerFlag]
