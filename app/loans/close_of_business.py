"""The close of business: bring every open loan's stored state to the end of a day.

As Apache Fineract's COB and Frappe Lending's day-end jobs do, the close walks the book in
chunks of loan ids, each in one transaction: a loan with no event in the step is rolled
forward by the linear law (``app.servicing.roll_forward``), one with an event (an
instalment falling due, an early repayment, a holiday boundary) is replayed by the one
engine. The chunk writes the new state, the bucket transitions with their dates and, at a
month's end, the month-end snapshot of every loan, then marks itself done in the same
transaction: a run killed at any moment resumes with the chunks not yet done and ends
where an uninterrupted run ends. Workers (``--workers N``) claim chunks with PostgreSQL's
``FOR UPDATE SKIP LOCKED``; SQLite runs one worker. A closed date is never closed again.
A gap (closing a date after days not closed) is closed at each month end in it and at
its last day.
"""

from __future__ import annotations

import calendar
import multiprocessing
import queue as queue_module
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.core.clock import utcnow
from app.core.config import Settings
from app.core.db import make_engine, transaction
from app.loans.close_in_sql import roll_forward_in_sql
from app.loans.history import load, terms_of, up_to
from app.loans.table import BookCloseRow, BookDateRow, BucketTransitionRow, LoanRow, MonthEndRow
from app.servicing import (
    BUCKETS,
    BookState,
    book_state,
    needs_replay,
    replay,
    roll_forward,
)
from app.servicing.delinquency import BUCKET_UPPER_DPD

LOAN = LoanRow.__table__  # type: ignore[attr-defined]
CHUNK = BookCloseRow.__table__  # type: ignore[attr-defined]
STATE_COLUMNS = (*BookState.__slots__, "overdue_since_day")
CHUNK_SIZE = 2000
#: PostgreSQL steps event-free loans set-based (app.loans.close_in_sql); False: all in Python
SQL_STEP = True
_UPDATE = (
    update(LOAN)
    .where(LOAN.c.id == bindparam("b_id"))
    .values({LOAN.c[name]: bindparam(f"b_{name}") for name in STATE_COLUMNS})
)


@dataclass(slots=True)
class ChunkResult:
    loans: int = 0
    rolled: int = 0
    replayed: int = 0
    transitions: int = 0
    snapshots: int = 0


@dataclass(slots=True)
class CloseSummary:
    dates: list[date] = field(default_factory=list)
    loans: int = 0
    rolled: int = 0
    replayed: int = 0
    transitions: int = 0
    snapshots: int = 0
    seconds: float = 0.0
    already_closed: bool = False

    def line(self) -> str:
        if self.already_closed:
            return "close of business: already closed through that date; nothing to do"
        rate = self.loans / self.seconds if self.seconds else 0.0
        days = ", ".join(d.isoformat() for d in self.dates)
        return (
            f"close of business {days}: {self.loans} loans ({self.rolled} rolled forward, {self.replayed} replayed), "
            f"{self.transitions} bucket transitions, {self.snapshots} month-end rows, "
            f"{self.seconds:.1f} s, {rate:,.0f} loans/s"
        )


def month_end(day: date) -> bool:
    return day.day == calendar.monthrange(day.year, day.month)[1]


def closed_through(session: Session) -> date | None:
    row = session.get(BookDateRow, 1)
    return None if row is None else row.closed_through


def pass_dates(last_closed: date | None, day: date) -> list[date]:
    """The dates a close to ``day`` runs: the month ends of a gap, then ``day``."""
    if last_closed is not None and last_closed >= day:
        return []
    start = day if last_closed is None else last_closed + timedelta(days=1)
    out = []
    d = start
    while d < day:
        if month_end(d):
            out.append(d)
        d += timedelta(days=1)
    return [*out, day]


def crossings(before: BookState, after: BookState) -> Iterator[tuple[date, str, str]]:
    """Each bucket boundary a loan crossed in the step, dated the day it crossed it.

    Days past due grow by one a day from the oldest unpaid due date, so a loan that is in a
    worse bucket at the end of the step crossed each boundary on a known day; a move to a
    better bucket happens on a write (a payment), which records it itself.
    """
    b0, b1 = BUCKETS.index(before.bucket), BUCKETS.index(after.bucket)
    if b1 == b0:
        return
    if b1 < b0 or after.oldest_unpaid_due is None:
        yield after.state_date, before.bucket, after.bucket
        return
    for k in range(b0, b1):
        upper = BUCKET_UPPER_DPD[k]
        assert upper is not None
        on = after.oldest_unpaid_due + timedelta(days=upper + 1)
        on = min(max(on, before.state_date + timedelta(days=1)), after.state_date)
        yield on, BUCKETS[k], BUCKETS[k + 1]


def _snapshot(row: Any, state: BookState, day: date) -> dict[str, Any]:
    return {
        "month_end": day,
        "loan_id": row.id,
        "manager_id": row.manager_id,
        "issue_month": row.issue_date.strftime("%Y-%m"),
        "status": state.status,
        "bucket": state.bucket,
        "days_past_due": state.days_past_due,
        "principal_outstanding": state.principal_outstanding,
        "overdue_total": state.overdue_total,
        "penalty_outstanding": state.penalty_outstanding,
        "first_payment_default": state.first_payment_default,
        "fpd_observable": day >= row.fpd_deadline,
        "pd_at_issue": row.pd_at_issue,
    }


def close_chunk(session: Session, day: date, first_id: int, last_id: int, *, lock: bool) -> ChunkResult:
    """Close one chunk of ids to the end of ``day`` (inside the caller's transaction)."""
    snapshot = month_end(day)
    in_sql = in_sql_transitions = 0
    if lock and SQL_STEP:  # PostgreSQL: the event-free loans step in one UPDATE
        in_sql, in_sql_transitions = roll_forward_in_sql(session, day, first_id, last_id)
    query = select(LOAN).where(LOAN.c.id >= first_id, LOAN.c.id <= last_id, LOAN.c.issue_date <= day)
    if not snapshot:
        query = query.where(LOAN.c.status != "closed", LOAN.c.state_date < day)
    if lock:
        query = query.with_for_update()
    rows = session.execute(query.order_by(LOAN.c.id)).all()
    result = ChunkResult(loans=len(rows) + (0 if snapshot else in_sql), rolled=in_sql)
    states: dict[int, BookState] = {}
    to_replay = []
    for row in rows:
        stored = BookState.from_columns(row._mapping)
        closed_by_then = stored.status == "closed" and stored.closed_on is not None and stored.closed_on <= day
        if stored.state_date == day or closed_by_then:
            states[row.id] = stored
            continue
        terms = terms_of(row)
        if stored.state_date > day or needs_replay(stored, terms, day):  # later state: replay the day
            to_replay.append(row)
        else:
            states[row.id] = roll_forward(stored, terms, day)
            result.rolled += 1
    if to_replay:
        for loan_id, (terms, schedule, history) in load(session, to_replay).items():
            states[loan_id] = book_state(replay(terms, schedule, up_to(history, day), as_of=day))
        result.replayed = len(to_replay)
    updates, transitions, snapshots = [], [], []
    for row in rows:
        state = states[row.id]
        stored_date = row.state_date
        if stored_date < day and row.status != "closed":
            before = BookState.from_columns(row._mapping)
            updates.append({"b_id": row.id, **{f"b_{k}": v for k, v in state.columns().items()}})
            for on, frm, to in crossings(before, state):
                transitions.append({"loan_id": row.id, "on": on, "from_bucket": frm, "to_bucket": to})
        if snapshot:
            snapshots.append(_snapshot(row, state, day))
    if updates:
        session.execute(_UPDATE, updates)
    if transitions:
        session.execute(insert(BucketTransitionRow.__table__), transitions)  # type: ignore[attr-defined]
    if snapshots:
        session.execute(insert(MonthEndRow.__table__), snapshots)  # type: ignore[attr-defined]
    result.transitions, result.snapshots = len(transitions) + in_sql_transitions, len(snapshots)
    return result


def plan_chunks(engine: Engine, day: date, chunk_size: int) -> int:
    """Cut the book into chunks of ids for ``day`` (once; a resumed run finds them made)."""
    with transaction(engine, write=True) as session:
        existing = session.execute(select(func.count()).select_from(CHUNK).where(CHUNK.c.business_date == day))
        count = int(existing.scalar_one())
        if count:
            return count
        ids = session.execute(select(LOAN.c.id).where(LOAN.c.issue_date <= day).order_by(LOAN.c.id)).scalars().all()
        chunks = [
            {"business_date": day, "chunk": n, "first_id": ids[i], "last_id": ids[min(i + chunk_size, len(ids)) - 1],
             "loans": 0, "done_at": None}
            for n, i in enumerate(range(0, len(ids), chunk_size))
        ]
        if chunks:
            session.execute(insert(CHUNK), chunks)
        return len(chunks)


def _claim(session: Session, day: date, *, skip_locked: bool) -> Any:
    query = (
        select(CHUNK.c.chunk, CHUNK.c.first_id, CHUNK.c.last_id)
        .where(CHUNK.c.business_date == day, CHUNK.c.done_at.is_(None))
        .order_by(CHUNK.c.chunk)
        .limit(1)
    )
    if skip_locked:
        query = query.with_for_update(skip_locked=True)
    return session.execute(query).first()


def work(engine: Engine, day: date, *, after_chunk: Callable[[], None] | None = None) -> ChunkResult:
    """Claim and close chunks of ``day`` until none is left; returns what this worker did."""
    total = ChunkResult()
    postgres = engine.dialect.name == "postgresql"
    while True:
        with transaction(engine, write=True) as session:
            claimed = _claim(session, day, skip_locked=postgres)
            if claimed is None:
                return total
            r = close_chunk(session, day, claimed.first_id, claimed.last_id, lock=postgres)
            session.execute(
                update(CHUNK)
                .where(CHUNK.c.business_date == day, CHUNK.c.chunk == claimed.chunk)
                .values(done_at=utcnow(), loans=r.loans)
            )
        for name in ChunkResult.__slots__:
            setattr(total, name, getattr(total, name) + getattr(r, name))
        if after_chunk is not None:
            after_chunk()


def _worker_main(database_url: str, day: date, queue: Any) -> None:
    engine = make_engine(Settings(database_url=database_url))
    try:
        r = work(engine, day)
        queue.put(tuple(getattr(r, n) for n in ChunkResult.__slots__))
    finally:
        engine.dispose()


def _done_chunks(engine: Engine, day: date) -> int:
    with transaction(engine) as session:
        query = select(func.count()).select_from(CHUNK).where(CHUNK.c.business_date == day, CHUNK.c.done_at.isnot(None))
        return int(session.execute(query).scalar_one())


def close_day(
    settings: Settings,
    engine: Engine,
    day: date,
    *,
    workers: int = 1,
    chunk_size: int = CHUNK_SIZE,
    progress: bool = False,
) -> CloseSummary:
    """Close the book through ``day``: each pass date in turn, then record it closed."""
    with transaction(engine) as session:
        last = closed_through(session)
        if last is None:  # never closed: close from the oldest stored state (its month ends too)
            oldest = session.execute(select(func.min(LOAN.c.state_date)).where(LOAN.c.status != "closed"))
            first = oldest.scalar_one_or_none()
            last = None if first is None or first >= day else first - timedelta(days=1)
    summary = CloseSummary(already_closed=last is not None and last >= day)
    started = time.perf_counter()
    if engine.dialect.name != "postgresql":
        workers = 1  # SQLite has one writer; PostgreSQL coordinates several
    for d in pass_dates(last, day):
        chunks = plan_chunks(engine, d, chunk_size)
        results = _run_pass(settings, engine, d, chunks, workers=workers, progress=progress)
        for r in results:
            for name in ChunkResult.__slots__:
                setattr(summary, name, getattr(summary, name) + getattr(r, name))
        with transaction(engine, write=True) as session:
            row = session.get(BookDateRow, 1)
            if row is None:
                session.add(BookDateRow(id=1, closed_through=d))
            elif row.closed_through < d:
                row.closed_through, row.closed_at = d, utcnow()
                session.add(row)
        summary.dates.append(d)
    summary.seconds = time.perf_counter() - started
    return summary


def _run_pass(
    settings: Settings, engine: Engine, day: date, chunks: int, *, workers: int, progress: bool
) -> Sequence[ChunkResult]:
    bar = _bar(day, chunks, _done_chunks(engine, day)) if progress else None
    if workers <= 1:
        try:
            return [work(engine, day, after_chunk=None if bar is None else lambda: bar.update(1))]
        finally:
            if bar is not None:
                bar.close()
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_worker_main, args=(settings.database_url, day, queue)) for _ in range(workers)]
    for p in procs:
        p.start()
    out: list[ChunkResult] = []
    while len(out) < workers:
        try:
            out.append(ChunkResult(*queue.get(timeout=0.5)))
        except queue_module.Empty:  # the workers are still closing chunks
            if bar is not None:
                bar.n = _done_chunks(engine, day)
                bar.refresh()
            if not any(p.is_alive() for p in procs) and queue.empty():
                break
    for p in procs:
        p.join()
    if any(p.exitcode for p in procs):
        raise RuntimeError("a close-of-business worker failed; run close-day again to resume")
    if bar is not None:
        bar.n = chunks
        bar.close()
    return out


def _bar(day: date, total: int, done: int) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, initial=done, desc=f"close {day}", unit="chunk", file=sys.stderr,
                disable=not sys.stderr.isatty())
