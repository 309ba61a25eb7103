"""The rate limit is one limit for every instance that shares a Redis, and Redis down serves.

Two app objects built from the same settings stand for two workers or two replicas: with
``LOANS_REDIS_URL`` they count one key's requests together, where each process would
otherwise allow the whole limit on its own. The sharing test needs a Redis:
``LOANS_TEST_REDIS_URL`` (e.g. ``redis://127.0.0.1:6379/15``, a database of its own); it
is skipped without one. The fail-open tests need none: they point the limiter at a port
where nothing listens and at a server that accepts and never answers.
"""

from __future__ import annotations

import os
import shutil
import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.apikeys import service as keys_service
from app.core import rate_limit
from app.core.config import Settings
from app.core.db import transaction
from app.main import create_app
from schemas.identity import Role

REDIS_URL = os.environ.get("LOANS_TEST_REDIS_URL")
LIMIT = 3


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "loans.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def namespace(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A namespace of this test's own, so parallel runs on one Redis never share a count."""
    name = f"test-{uuid.uuid4().hex}"
    monkeypatch.setattr(rate_limit, "_NAMESPACE", name)
    yield name


def _apps(settings: Settings, n: int = 2) -> list[FastAPI]:
    return [create_app(settings) for _ in range(n)]


def _key(app: FastAPI) -> dict[str, str]:
    with transaction(app.state.engine, write=True) as session:
        _, key = keys_service.create_key(session, role=Role.PARTNER, name="limited", partner_id="P01")
    return {"Authorization": f"Bearer {key}"}


def _away_from_a_minute_boundary() -> None:
    # The limit counts per minute; a count that straddles the turn of a minute is weighted
    # down, so start where the whole test fits inside one minute.
    second = time.time() % 60
    if second > 50:
        time.sleep(60.5 - second)


@pytest.mark.skipif(not REDIS_URL, reason="LOANS_TEST_REDIS_URL is not set")
def test_two_instances_share_one_limit_through_redis(sqlite_url: str, namespace: str) -> None:
    import redis

    settings = Settings(database_url=sqlite_url, db_pool_size=5, key_cache_seconds=0,
                        rate_limit_per_minute=LIMIT, redis_url=REDIS_URL)
    first, second = _apps(settings)
    headers = _key(first)  # one database: the key is the same key on both instances
    _away_from_a_minute_boundary()
    try:
        with TestClient(first) as a, TestClient(second) as b:
            answers = [(name, c.get("/v1/me", headers=headers).status_code)
                       for name, c in (("a", a), ("b", b)) * LIMIT]
    finally:
        for app in (first, second):
            app.state.engine.dispose()
        client = redis.Redis.from_url(REDIS_URL)
        for stored in client.scan_iter(f"*{namespace}*"):
            client.delete(stored)
        client.close()
    # Each instance saw LIMIT requests: counted apart, all six would pass.
    assert [code for _, code in answers[:LIMIT]] == [200] * LIMIT, answers
    assert [code for _, code in answers[LIMIT:]] == [429] * LIMIT, answers
    assert {name for name, code in answers if code == 429} == {"a", "b"}, answers


def test_without_redis_each_instance_counts_alone(sqlite_url: str, namespace: str) -> None:
    """The contrast: in-memory counters give every instance the whole limit."""
    settings = Settings(database_url=sqlite_url, db_pool_size=5, key_cache_seconds=0,
                        rate_limit_per_minute=LIMIT)
    first, second = _apps(settings)
    headers = _key(first)
    _away_from_a_minute_boundary()
    try:
        with TestClient(first) as a, TestClient(second) as b:
            codes = [c.get("/v1/me", headers=headers).status_code for c in (a, b) * LIMIT]
            assert codes == [200] * (2 * LIMIT)
            assert a.get("/v1/me", headers=headers).status_code == 429
    finally:
        for app in (first, second):
            app.state.engine.dispose()


@pytest.fixture(params=["refused", "silent"])
def redis_down(request: pytest.FixtureRequest) -> Iterator[str]:
    """A Redis URL where nothing answers: a port nobody listens on, or a server that hangs.

    The silent one accepts connections and never replies, as a Redis stuck or cut off
    behind a firewall that drops packets does.
    """
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    port = server.getsockname()[1]
    if request.param == "silent":
        server.listen(16)
    else:
        server.close()  # the port was free a moment ago; nothing listens there now
    try:
        yield f"redis://127.0.0.1:{port}/15"
    finally:
        server.close()


@pytest.fixture
def app_without_redis(sqlite_url: str, redis_down: str) -> Iterator[FastAPI]:
    # built in a fixture: create_app sets up logging, which must come before caplog's handler
    settings = Settings(database_url=sqlite_url, db_pool_size=5, key_cache_seconds=0,
                        rate_limit_per_minute=1, redis_url=redis_down)
    (app,) = _apps(settings, 1)
    yield app
    app.state.engine.dispose()


def test_the_service_fails_open_when_redis_is_down(app_without_redis: FastAPI, namespace: str,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    headers = _key(app_without_redis)
    caplog.set_level("WARNING", logger="app.rate_limit")
    with TestClient(app_without_redis) as c:
        started = time.monotonic()
        codes = [c.get("/v1/me", headers=headers).status_code for _ in range(3)]
        took = time.monotonic() - started
    # Above a limit of 1, yet served: the counter is out, not the credit desk.
    assert codes == [200, 200, 200]
    # A hanging Redis costs a request its timeouts, not the system's TCP timeout (minutes).
    assert took < 3 * 2 * rate_limit.REDIS_TIMEOUT_SECONDS + 2, took
    assert any("rate limit store unavailable" in r.getMessage() for r in caplog.records)
