"""SQLite writers of one process queue on a lock, not on SQLite's sleeping busy handler."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from app.core.config import Settings
from app.core.db import _WriterGate, make_engine, transaction


def test_gate_is_released_once_and_only_by_its_holder() -> None:
    gate = _WriterGate(timeout_seconds=0.05)
    a: dict[str, bool] = {}
    b: dict[str, bool] = {}
    gate.enter(a)
    gate.enter(a)  # a second transaction on the same connection does not wait for itself
    gate.enter(b)  # times out: b goes on without the gate (SQLite's busy handler decides)
    assert a and not b
    gate.leave(b)  # never held: releases nothing
    gate.leave(a)
    gate.leave(a)  # already released: no error, no double release
    gate.enter(b)
    assert b
    gate.leave(b)


def test_concurrent_writers_all_commit_and_the_gate_ends_free(tmp_path: Path) -> None:
    engine = make_engine(Settings(database_url=f"sqlite:///{tmp_path / 'gate.db'}", db_pool_size=20))
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (n INTEGER)"))
    errors: list[BaseException] = []

    def writer(i: int) -> None:
        try:
            for _ in range(20):
                with transaction(engine, write=True) as session:
                    session.connection().execute(text("INSERT INTO t VALUES (:n)"), {"n": i})
                    time.sleep(0.0005)  # hold the lock a little, as a real request does
        except BaseException as exc:  # collected, asserted below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM t")).scalar_one() == 16 * 20
    # a failed transaction leaves the gate free too
    with pytest.raises(OperationalError), transaction(engine, write=True) as session:
        session.connection().execute(text("INSERT INTO missing VALUES (1)"))
    with transaction(engine, write=True) as session:
        session.connection().execute(text("INSERT INTO t VALUES (0)"))
    engine.dispose()
