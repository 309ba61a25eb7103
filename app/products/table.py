"""The product catalogue's table."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from app.core.columns import MONEY, RATE


class ProductRow(SQLModel, table=True):
    __tablename__ = "product"

    code: str = Field(primary_key=True, max_length=40)
    name: str = Field(max_length=200)
    description: str = Field(default="", max_length=2000)
    min_amount: Decimal = Field(sa_column=Column(MONEY, nullable=False))
    max_amount: Decimal = Field(sa_column=Column(MONEY, nullable=False))
    min_term_months: int
    max_term_months: int
    annual_rate: Decimal = Field(sa_column=Column(RATE, nullable=False))
    rate_by_grade: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    min_age: int
    max_age: int
    min_income: Decimal = Field(sa_column=Column(MONEY, nullable=False))
    pdn_limit: Decimal = Field(sa_column=Column(RATE, nullable=False))
    channels: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    required_documents: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    active: bool = True
    day_count: str = Field(default="actual/365", max_length=12)
    penalty_rate: Decimal = Field(default=Decimal(20), sa_column=Column(RATE, nullable=False))
    penalty_basis: str = Field(default="annual", max_length=8)
    early_repayment_notice_days: int = 30
    cooling_off: bool = True
    targeted: bool = False
    holiday_amount_limit: Decimal | None = Field(default=None, sa_column=Column(MONEY, nullable=True))
