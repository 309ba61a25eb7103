"""Loaded PSK limit tables: one row per quarter and version, the table itself as JSON."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.clock import utcnow
from app.core.columns import UTCDateTime


class PskLimitTableRow(SQLModel, table=True):
    __tablename__ = "psk_limit_table"
    __table_args__ = (UniqueConstraint("quarter", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    quarter: str = Field(max_length=6, index=True)
    # A quarter loaded again (a corrected publication) gets the next version; the highest is in force.
    version: int = 1
    valid_from: date
    valid_to: date
    source_url: str = Field(max_length=500)
    table: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    loaded_by: str = Field(max_length=200)
    loaded_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
