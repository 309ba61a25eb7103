"""Credit managers and their personal plans."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from app.core.clock import utcnow
from app.core.columns import MONEY, UTCDateTime


class ManagerRow(SQLModel, table=True):
    __tablename__ = "manager"

    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    channel: str = Field(max_length=10)
    branch_id: str | None = Field(default=None, max_length=64, index=True)
    partner_id: str | None = Field(default=None, max_length=64, index=True)
    specialisation: str | None = Field(default=None, max_length=100)
    segment: str | None = Field(default=None, max_length=20)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class ManagerPlanRow(SQLModel, table=True):
    __tablename__ = "manager_plan"

    manager_id: str = Field(foreign_key="manager.id", primary_key=True, max_length=64)
    period: str = Field(primary_key=True, max_length=7)
    volume: Decimal = Field(sa_column=Column(MONEY, nullable=False))
