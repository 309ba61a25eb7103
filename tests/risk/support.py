"""Books for the risk tests: loans through the API with the close of business, or the demo
with month-end snapshots written by replaying its loans (the demo closes no month ends)."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from sqlalchemy import insert
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from app.core.db import transaction
from app.loans.close_of_business import _snapshot
from app.loans.history import load, up_to
from app.loans.table import BookDateRow, LoanRow, MonthEndRow
from app.servicing import book_state, replay


def month_ends_before(day: date, months: int) -> list[date]:
    out, d = [], day.replace(day=1) - timedelta(days=1)
    for _ in range(months):
        out.append(d)
        d = d.replace(day=1) - timedelta(days=1)
    return sorted(out)


def last_day(d: date) -> date:
    return d.replace(day=calendar.monthrange(d.year, d.month)[1])


def backfill_month_ends(engine: Engine, today: date, months: int = 12) -> list[date]:
    """Write the snapshot the close of business would have written at each of the last
    ``months`` month ends (each loan replayed to that day), and mark the book closed to ``today``."""
    ends = month_ends_before(today, months)
    with transaction(engine, write=True) as session:
        loans = list(session.exec(select(LoanRow).order_by(col(LoanRow.id))).all())
        loaded = load(session, loans)
        rows = []
        for end in ends:
            for loan in loans:
                if loan.issue_date > end:
                    continue
                terms, schedule, history = loaded[loan.id]  # type: ignore[index]
                state = book_state(replay(terms, schedule, up_to(history, end), as_of=end))
                rows.append(_snapshot(loan, state, end))
        session.execute(insert(MonthEndRow.__table__), rows)  # type: ignore[attr-defined]
        if session.get(BookDateRow, 1) is None:
            session.add(BookDateRow(id=1, closed_through=today))
    return ends
