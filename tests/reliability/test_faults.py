"""Faults: the database away at start or mid-run, and ``kill -9`` under a stream of writes.

PostgreSQL outages go through a TCP proxy this test owns (the real server keeps running);
the SQLite variant starts with the database file missing. ``kill -9`` runs ``loans serve``
as a subprocess on SQLite and PostgreSQL.
"""

from __future__ import annotations

import itertools
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, make_url

from app.apikeys import service as keys_service
from app.core.config import Settings
from app.core.db import transaction
from app.main import create_app
from schemas.identity import Role
from tests.reliability.support import ServerProcess, TcpProxy, filer_body, serve_in_thread, wait_until

pytestmark = pytest.mark.slow
RETRY_AFTER = 7


def _keys(url: str) -> dict[str, dict[str, str]]:
    engine = create_engine(url)
    try:
        with transaction(engine, write=True) as session:
            _, admin = keys_service.create_key(session, role=Role.ADMIN, name="fault-admin")
            _, partner = keys_service.create_key(session, role=Role.PARTNER, partner_id="P01", name="fault-P01")
    finally:
        engine.dispose()
    return {"admin": {"Authorization": f"Bearer {admin}"}, "P01": {"Authorization": f"Bearer {partner}"}}


def _status(url: str, headers: dict[str, str] | None = None) -> int:
    return httpx.get(url, headers=headers, timeout=10).status_code


def _assert_unavailable(base: str, headers: dict[str, str]) -> None:
    assert _status(base + "/healthz") == 200
    ready = httpx.get(base + "/readyz", timeout=10)
    assert ready.status_code == 503 and ready.headers["retry-after"] == str(RETRY_AFTER)
    r = httpx.get(base + "/v1/me", headers=headers, timeout=10)
    assert r.status_code == 503, r.text
    assert r.headers["retry-after"] == str(RETRY_AFTER)
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["status"] == 503 and body["type"] == "/problems/database-unavailable" and body["detail"]
    r = httpx.post(base + "/v1/applications", headers=headers, json=filer_body("P01", "M-P01"), timeout=10)
    assert r.status_code == 503 and r.headers["retry-after"] == str(RETRY_AFTER)


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_postgres_down_at_start_and_mid_run_then_recovers_without_restart(database_url: str) -> None:
    keys = _keys(database_url)
    url = make_url(database_url)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    via_proxy = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    app = create_app(Settings(database_url=via_proxy, db_pool_size=5, db_connect_timeout_seconds=1,
                              retry_after_seconds=RETRY_AFTER))
    try:
        with serve_in_thread(app) as base:
            # Down at start: the server is up, alive, not ready, and says when to retry.
            _assert_unavailable(base, keys["P01"])
            proxy.start()
            wait_until(lambda: _status(base + "/readyz") == 200, what="readiness after the database came up")
            assert _status(base + "/v1/me", keys["P01"]) == 200
            # Down mid-run: pooled connections die with the proxy.
            proxy.stop()
            wait_until(lambda: _status(base + "/v1/me", keys["P01"]) == 503, what="503 during the outage")
            _assert_unavailable(base, keys["P01"])
            proxy.start()
            wait_until(lambda: _status(base + "/v1/me", keys["P01"]) == 200, what="recovery")
            assert _status(base + "/readyz") == 200
    finally:
        proxy.stop()
        app.state.engine.dispose()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_sqlite_missing_at_start_then_recovers_without_restart(database_url: str, tmp_path: Path) -> None:
    keys = _keys(database_url)
    source = Path(make_url(database_url).database or "")
    missing = tmp_path / "not-yet" / "loans.db"  # the directory does not exist: cannot open
    app = create_app(Settings(database_url=f"sqlite:///{missing}", db_pool_size=5,
                              retry_after_seconds=RETRY_AFTER))
    try:
        with serve_in_thread(app) as base:
            _assert_unavailable(base, keys["P01"])
            missing.parent.mkdir()
            shutil.copy(source, missing)  # the volume is back, with the keys in it
            wait_until(lambda: _status(base + "/readyz") == 200, what="readiness")
            assert _status(base + "/v1/me", keys["P01"]) == 200
    finally:
        app.state.engine.dispose()


_passports = itertools.count(1)


@pytest.fixture
def served(database_url: str, tmp_path: Path) -> Iterator[tuple[ServerProcess, dict[str, Any]]]:
    keys = _keys(database_url)
    server = ServerProcess(database_url, log_path=tmp_path / "server.log")
    server.start()
    try:
        r = httpx.post(server.base + "/v1/managers", headers=keys["admin"], timeout=10,
                       json={"id": "M-P01", "name": "M", "channel": "pos", "partner_id": "P01"})
        assert r.status_code == 201, r.text
        yield server, keys
    finally:
        server.stop()


def test_kill_9_under_load_loses_no_acknowledged_write(served: tuple[ServerProcess, dict[str, Any]]) -> None:
    server, keys = served
    acked: dict[str, int] = {}
    bodies: dict[str, dict[str, Any]] = {}
    lock = threading.Lock()
    stop = threading.Event()
    headers = keys["P01"]

    def writer(w: int) -> None:
        with httpx.Client(base_url=server.base, timeout=10) as c:
            for n in itertools.count():
                if stop.is_set():
                    return
                key = f"w{w}-{n}"
                p = next(_passports)
                body = filer_body("P01", "M-P01", passport=f"{4700 + p // 1_000_000:04d} {p % 1_000_000:06d}")
                try:
                    r = c.post("/v1/applications", headers=headers | {"Idempotency-Key": key}, json=body)
                except httpx.HTTPError:
                    return  # the server died mid-request: not acknowledged, may or may not exist
                if r.status_code == 201:
                    with lock:
                        acked[key] = r.json()["id"]
                        bodies[key] = body

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    wait_until(lambda: len(acked) >= 60, timeout=60, what="60 acknowledged writes")
    server.kill9()
    stop.set()
    for t in threads:
        t.join(timeout=30)
    with lock:
        snapshot = dict(acked)
    assert len(snapshot) >= 60

    server.start()
    with httpx.Client(base_url=server.base, timeout=10) as c:
        for key, app_id in snapshot.items():
            r = c.get(f"/v1/applications/{app_id}", headers=headers)
            assert r.status_code == 200, (key, app_id, r.text)
        # The idempotency records survived too: a retry replays the same application.
        for key, app_id in list(snapshot.items())[:10]:
            r = c.post("/v1/applications", headers=headers | {"Idempotency-Key": key}, json=bodies[key])
            assert r.status_code == 201 and r.json()["id"] == app_id, r.text
            assert r.headers["idempotent-replayed"] == "true"
        listed: set[int] = set()
        cursor = None
        while True:
            page = c.get("/v1/applications", headers=headers,
                         params={"limit": 100} | ({"cursor": cursor} if cursor else {})).json()
            listed |= {a["id"] for a in page["items"]}
            cursor = page["next_cursor"]
            if not cursor:
                break
    assert set(snapshot.values()) <= listed
    print(f"\nkill -9: {len(snapshot)} acknowledged writes, all present after restart ({len(listed)} stored)")
