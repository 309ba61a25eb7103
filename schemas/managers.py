"""Credit managers: who files applications, through which channel, under which plan."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from schemas.money import Money
from schemas.text import Name, PlainText

ManagerId = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$", examples=["MGR-0042"])]
ScopeId = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$", examples=["MSK-01"])]
Period = Annotated[str, Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", examples=["2026-11"])]


class ManagerChannel(StrEnum):
    BRANCH = "branch"
    POS = "pos"


class Segment(StrEnum):
    MASS = "mass"
    VIP = "vip"
    POS = "pos"
    CORPORATE = "corporate"


class ManagerCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: ManagerId
    name: Name = Field(min_length=1, max_length=200, examples=["Ivanova A. P."])
    channel: ManagerChannel
    branch_id: ScopeId | None = None
    partner_id: ScopeId | None = None
    specialisation: PlainText | None = Field(None, max_length=100, examples=["consumer"])
    segment: Segment | None = None

    @model_validator(mode="after")
    def _scope_matches_channel(self) -> ManagerCreate:
        if self.channel is ManagerChannel.BRANCH and (not self.branch_id or self.partner_id):
            raise ValueError("a branch manager has a branch_id and no partner_id")
        if self.channel is ManagerChannel.POS and (not self.partner_id or self.branch_id):
            raise ValueError("a point-of-sale manager has a partner_id and no branch_id")
        return self


class Manager(ManagerCreate):
    created_at: datetime


class ManagerPage(BaseModel):
    items: list[Manager]
    next_cursor: str | None = None


class PlanSet(BaseModel):
    model_config = ConfigDict(extra="forbid")

    period: Period
    volume: Money = Field(description="Loan volume the manager should issue in the period")


class PlanFulfilment(BaseModel):
    period: Period
    volume: Money
    issued: Money = Field(description="Volume of loans issued by the manager in the period")
    fulfilment: str | None = Field(
        None, description="issued / volume as a decimal string (1.6 = 160 %); null for a zero plan"
    )
