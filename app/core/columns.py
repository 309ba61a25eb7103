"""Exact decimal columns stored as scaled integers on every database.

SQLite has no decimal type (NUMERIC becomes a float), so money is kept as integer
minor units (kopecks) and rates as integer ten-thousandths: exact on SQLite and
PostgreSQL alike, and ``SUM`` in SQL stays exact.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class FixedPoint(TypeDecorator[Decimal]):
    impl = BigInteger
    cache_ok = True

    def __init__(self, places: int) -> None:
        super().__init__()
        self.places = places
        self._quantum = Decimal(1).scaleb(-places)

    def process_bind_param(self, value: Any, dialect: Dialect) -> int | None:
        if value is None:
            return None
        scaled = Decimal(value).scaleb(self.places)
        if scaled != scaled.to_integral_value():
            raise ValueError(f"{value} has more than {self.places} decimal places")
        return int(scaled)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return Decimal(int(value)).scaleb(-self.places).quantize(self._quantum)

    def from_scaled(self, value: int | None) -> Decimal:
        """Turn a scaled integer from an aggregate (``SUM``) back into a decimal."""
        return Decimal(int(value or 0)).scaleb(-self.places).quantize(self._quantum)


MONEY = FixedPoint(2)
RATE = FixedPoint(4)


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps that come back timezone-aware (UTC) on SQLite too, which drops the zone."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use UTC")
        return value  # type: ignore[no-any-return]

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)  # type: ignore[no-any-return]
        return value.astimezone(UTC)  # type: ignore[no-any-return]
