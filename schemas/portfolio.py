"""Managers' portfolios and the security service's flags."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

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
    source: str = Field("stored", description="stored, snapshot or replay (see manager-flags)")
    issued: CountVolume
    active_loans: int
    closed_loans: int
    problem_loans: CountVolume = Field(description="90+ days past due: count and issued volume")
    fpd_rate: float | None = Field(
        description="Share of the loans whose first instalment is 30+ days past its due date by as_of "
        "(first-payment defaults among the loans where one could be seen)"
    )
    expected_problems: float = Field(
        description="Sum over the loans of PD at issue, each scaled by the share of its 12-month "
        "window lived through (from 120 days on book)"
    )
    observed_to_expected: float | None
    buckets: dict[str, int] = Field(description="Loans by delinquency bucket (closed loans count as current)")
    vintages: list[Vintage]
    plans: list[PlanFulfilment]


class FlagStatus(StrEnum):
    FLAGGED = "flagged"
    WITHIN_LIMITS = "within_limits"
    INSUFFICIENT_DATA = "insufficient_data"


class FlagSort(StrEnum):
    """Sort keys of the manager list; a leading ``-`` sorts descending."""

    MANAGER = "manager_id"
    MANAGER_DESC = "-manager_id"
    Q = "q_value"
    Q_DESC = "-q_value"
    RATIO = "ratio"
    RATIO_DESC = "-ratio"
    EXPECTED = "expected"
    EXPECTED_DESC = "-expected"
    OBSERVED = "observed"
    OBSERVED_DESC = "-observed"
    LOANS = "loans"
    LOANS_DESC = "-loans"
    FPD_RATIO = "fpd_ratio"
    FPD_RATIO_DESC = "-fpd_ratio"
    PLAN = "plan_fulfilment"
    PLAN_DESC = "-plan_fulfilment"


class ManagerFlag(BaseModel):
    manager_id: str
    name: str | None
    segment: str | None
    channel: str | None = None
    branch_id: str | None = None
    partner_id: str | None = None
    status: FlagStatus = Field(
        FlagStatus.WITHIN_LIMITS,
        description="flagged (problem loans or first-payment defaults), within limits, or insufficient "
        "data (even every loan a problem could not be significant; `reason` says why)",
    )
    loans: int = Field(description="Loans in the test: issued by as_of and old enough to show a problem")
    observed: int
    expected: float
    ratio: float | None
    p_value: float | None
    q_value: float | None
    flagged: bool
    tested: bool = True
    lower_95: float | None = Field(None, description="The manager's own 95 % funnel limits of `ratio`")
    upper_95: float | None = None
    upper_998: float | None = None
    decision_limit: float | None = Field(
        None, description="Flagged from this observed/expected ratio on (the limit the decision used); null if untested"
    )
    fpd_loans: int = 0
    fpd_observed: int
    fpd_expected: float
    fpd_ratio: float | None = None
    fpd_p_value: float | None = None
    fpd_q_value: float | None
    fpd_flagged: bool
    fpd_decision_limit: float | None = None
    fpd_reason: str | None = None
    plan_fulfilment: float | None = Field(
        description="Issued / planned volume over the plan periods up to as_of"
    )
    summary: str = Field(examples=["problem loans 3.1x expected (q=0.002); plan 160% fulfilled"])
    reason: str


class ManagerFlags(BaseModel):
    as_of: dt.date
    source: str = Field(
        "stored",
        description="stored (the business date's stored state), snapshot (a closed month end) or "
        "replay (any other past date: every loan replayed, the slow path)",
    )
    managers_tested: int
    fdr: float
    phi: float | None = Field(description="Robust overdispersion ratio; null if too few managers inform it")
    tau2: float = Field(0.0, description="Honest between-manager log-odds variance the tests allow (0: exact test)")
    decision_p: float | None = Field(None, description="The Benjamini-Hochberg threshold the flags used")
    counts: dict[str, int] = Field(default_factory=dict, description="Managers by status (before filters)")
    flagged: list[ManagerFlag] = Field(description="Flagged managers (after filters), most significant first")
    items: list[ManagerFlag] = Field(
        default_factory=list, description="Every manager matching the filters, sorted, one page"
    )
    next_cursor: str | None = None
