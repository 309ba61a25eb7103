"""Engine and session handling for SQLite (embedded default) and PostgreSQL (production).

SQLite gets WAL, a busy timeout and foreign keys on every connection; PostgreSQL goes
through psycopg 3 with a pool as large as the worker thread pool, so no request waits
for a connection while a thread is free. Both engines hide bound values in their errors
(``hide_parameters``): a failed statement's values are a borrower's personal data.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

from app.core.config import Settings


def make_engine(settings: Settings) -> Engine:
    url = settings.database_url
    if settings.is_sqlite:
        # The pool must be as large as the worker thread pool here too: a request holds
        # its write transaction's connection while its key lookup takes a second one, so
        # SQLAlchemy's default 5 + 10 starves under 16 concurrent writers (they time out
        # on the busy lock while the lock holder waits for a pooled connection).
        in_memory = url in ("sqlite://", "sqlite:///:memory:")
        pool_args = {} if in_memory else {"pool_size": settings.db_pool_size, "max_overflow": 10}
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": settings.sqlite_busy_timeout_ms / 1000},
            hide_parameters=True,
            **pool_args,
        )
        busy_ms = settings.sqlite_busy_timeout_ms

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # pysqlite's own transaction handling defers BEGIN; take control so that
            # BEGIN IMMEDIATE is possible for writers (see begin_write below).
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        writers = _WriterGate(busy_ms / 1000)

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            # Writers take the lock up front, so a read-then-write transaction waits
            # (busy_timeout) instead of failing with SQLITE_BUSY on upgrade.
            write = conn.get_execution_options().get(WRITE_OPTION, False)
            if write:
                writers.enter(conn.info)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

        @event.listens_for(engine, "checkin")
        def _sqlite_checkin(_dbapi_conn: Any, record: Any) -> None:
            writers.leave(record.info)

        @event.listens_for(engine, "invalidate")
        def _sqlite_invalidate(_dbapi_conn: Any, record: Any, _exc: Any) -> None:
            writers.leave(record.info)

        return engine
    return create_engine(
        url,
        pool_size=settings.db_pool_size,
        max_overflow=10,
        pool_pre_ping=True,
        pool_timeout=settings.db_connect_timeout_seconds,
        connect_args={
            "connect_timeout": settings.db_connect_timeout_seconds,
            # the server must not write a failed statement's values to its log either
            "options": "-c log_parameter_max_length_on_error=0",
        },
        hide_parameters=True,
    )


class _WriterGate:
    """One SQLite writer per process at a time, queued on a lock instead of the busy handler.

    SQLite's busy handler polls with sleeps that grow to 100 ms, so writers that collide
    on ``BEGIN IMMEDIATE`` wait far longer than the lock is held (p99 in seconds under 16
    concurrent filings, docs/benchmarks.md). Writers of this process queue on a lock
    instead and are woken the moment the holder's connection goes back to the pool (after
    its COMMIT or ROLLBACK). Other processes still meet the busy handler; if the lock is
    not had within the busy timeout, the writer goes on to ``BEGIN IMMEDIATE`` anyway and
    SQLite decides, so nothing waits longer than it did before.
    """

    _KEY = "loans_writer_gate"

    def __init__(self, timeout_seconds: float) -> None:
        self._lock = threading.Lock()
        self._timeout = timeout_seconds

    def enter(self, info: dict[Any, Any]) -> None:
        if info.get(self._KEY):  # a second transaction on the same checked-out connection
            return
        if self._lock.acquire(timeout=self._timeout):
            info[self._KEY] = True

    def leave(self, info: dict[Any, Any]) -> None:
        if info.pop(self._KEY, False):
            self._lock.release()


WRITE_OPTION = "loans_write"
_WRITE_BIND = "_loans_write_bind"


def write_bind(engine: Engine) -> Engine:
    """``engine`` with the write marker set, so a session bound to it starts its
    transaction with ``BEGIN IMMEDIATE`` on SQLite when it first connects (lazily: making
    the session does no I/O). The option engine is made once per engine and kept on it
    (making one costs ~20 us); it shares the engine's pool, dialect and events.
    """
    bound: Engine | None = getattr(engine, _WRITE_BIND, None)
    if bound is None:
        bound = engine.execution_options(**{WRITE_OPTION: True})
        setattr(engine, _WRITE_BIND, bound)
    return bound


@contextmanager
def transaction(engine: Engine, *, write: bool = False) -> Iterator[Session]:
    """A session that commits when the block ends and rolls back on any error.

    ``write=True`` marks a transaction that will change data: on SQLite it starts with
    ``BEGIN IMMEDIATE``; on PostgreSQL it changes nothing (row locks do the work).
    """
    with Session(write_bind(engine) if write else engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def database_answers(engine: Engine) -> bool:
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:  # noqa: BLE001 - any failure means "not ready"
        return False
