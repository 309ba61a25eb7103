"""The service's notion of "now": timezone-aware UTC, in one place so tests can rely on it."""

from __future__ import annotations

from datetime import UTC, date, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def today() -> date:
    return utcnow().date()
