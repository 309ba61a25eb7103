"""The business date a request runs on: today (UTC) in production, pinned in tests.

Routes take it as a dependency rather than calling the clock, so an end-to-end test can
walk a loan through months of repayments in one run (``app.state.clock``).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Depends, Request


def business_date(request: Request) -> date:
    return request.app.state.clock()  # type: ignore[no-any-return]


async def _today(request: Request) -> date:
    # async: a plain attribute read needs no trip through the thread pool (docs/benchmarks.md)
    return business_date(request)


Today = Annotated[date, Depends(_today)]
