"""kill -9 in the middle of a close of business, then run it again: the book ends exactly as
after an uninterrupted close (PostgreSQL, a bulk-built book of 3,000 loans, two workers)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.pool import NullPool

from app import migrate
from app.core.config import Settings
from app.core.db import make_engine
from app.demo_book import build_book

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
URL = os.environ.get("LOANS_TEST_POSTGRES_URL")
BUILT = date(2026, 10, 20)
CLOSE = date(2026, 10, 31)  # a month end: the run also writes the snapshots


def _admin(url: str):  # type: ignore[no-untyped-def]
    return create_engine(make_url(url).set(database="postgres"), poolclass=NullPool, isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="module")
def books() -> Iterator[tuple[str, str]]:
    if not URL:
        pytest.skip("LOANS_TEST_POSTGRES_URL is not set")
    base = make_url(URL)
    names = [f"{base.database}_cob_{kind}_{os.getpid()}" for kind in ("a", "b")]
    admin = _admin(URL)
    with admin.connect() as conn:
        for name in names:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{names[0]}"'))
    url_a = base.set(database=names[0]).render_as_string(hide_password=False)
    migrate.upgrade(url_a)
    settings = Settings(database_url=url_a)
    engine = make_engine(settings)
    build_book(settings, engine, loans=3000, seed=11, today=BUILT, workers=1)
    engine.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{names[1]}" TEMPLATE "{names[0]}"'))
    yield url_a, base.set(database=names[1]).render_as_string(hide_password=False)
    with admin.connect() as conn:
        for name in names:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _close(url: str, *extra: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "LOANS_DATABASE_URL": url, "LOANS_BUSINESS_DATE": CLOSE.isoformat()}
    return subprocess.Popen(
        [sys.executable, "-m", "app.cli", "close-day", "--quiet", "--chunk-size", "100", *extra],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
    )


def _book(url: str) -> tuple[list[tuple[object, ...]], ...]:
    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as conn:
        out = tuple(
            [tuple(r) for r in conn.execute(text(sql)).all()]
            for sql in (
                "SELECT * FROM loan ORDER BY id",
                'SELECT loan_id, "on", from_bucket, to_bucket FROM loan_bucket_transition ORDER BY 1, 2, 4',
                "SELECT * FROM loan_month_end ORDER BY month_end, loan_id",
                "SELECT closed_through FROM book_date",
            )
        )
    engine.dispose()
    return out


def _done(url: str) -> int:
    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as conn:
        n = conn.execute(text("SELECT count(*) FROM book_close_chunk WHERE done_at IS NOT NULL")).scalar_one()
    engine.dispose()
    return int(n)


def test_kill_9_mid_close_then_resume_ends_as_an_uninterrupted_close(books: tuple[str, str]) -> None:
    whole, killed = books
    assert _close(whole).wait(timeout=600) == 0
    victim = _close(killed, "--workers", "2")
    deadline = time.monotonic() + 300
    while _done(killed) < 5:
        assert victim.poll() is None, "the close finished before it could be killed; use a bigger book"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    os.killpg(victim.pid, signal.SIGKILL)  # the command and its worker processes, at once
    victim.wait()
    time.sleep(0.5)
    done = _done(killed)
    assert 0 < done < 30, done  # killed mid-run: some chunks closed, not all
    resumed = _close(killed)
    _, err = resumed.communicate(timeout=600)
    assert resumed.returncode == 0, err.decode()
    assert _book(killed) == _book(whole)
    assert _done(killed) == 30
