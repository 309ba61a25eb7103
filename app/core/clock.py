"""The service's notion of "now" and of "today", in one place.

Timestamps are timezone-aware UTC. "Today" is the business date: the date every rule of
the service runs on (what is due, what is overdue, the age of a borrower). In production
it is the UTC date; ``LOANS_BUSINESS_DATE`` pins it for UAT, training, replays and
end-to-end tests, as a core banking system's business date does.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def today() -> date:
    return utcnow().date()


def business_calendar(pinned: date | None) -> Callable[[], date]:
    """The business date source: the pinned date, else the UTC date of each call."""
    if pinned is None:
        return today
    return lambda: pinned
