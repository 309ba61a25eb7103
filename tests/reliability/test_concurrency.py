"""Concurrency through a real uvicorn server (in-process, on a free port) and real threads.

Runs on SQLite (writers serialise on BEGIN IMMEDIATE) and PostgreSQL (row locks); the
properties are the same: one loan per signed application, one application per
Idempotency-Key, every payment recorded exactly once with consistent balances.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine

from app.core.config import Settings
from app.main import create_app
from tests.conftest import MakeKey
from tests.factories import add_manager, to_loan
from tests.reliability.support import filer_body, serve_in_thread

THREADS = 16


@pytest.fixture
def server_app(database_url: str) -> Iterator[FastAPI]:
    app = create_app(Settings(database_url=database_url, db_pool_size=THREADS + 4))
    yield app
    app.state.engine.dispose()


@pytest.fixture
def base_url(server_app: FastAPI) -> Iterator[str]:
    with serve_in_thread(server_app) as base:
        yield base


def in_parallel(n: int, call: Callable[[int, httpx.Client], httpx.Response]) -> list[httpx.Response]:
    """Run ``call`` on ``n`` threads released together by a barrier; each has its own connection."""
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def worker(i: int) -> None:
        with httpx.Client(timeout=60) as c:
            barrier.wait()
            try:
                results[i] = call(i, c)
            except Exception as exc:  # recorded, then asserted on by the caller
                results[i] = exc

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    errors = [r for r in results if isinstance(r, Exception)]
    assert not errors, errors
    return results


@pytest.fixture
def setup(client: TestClient, admin: dict[str, str], risk: dict[str, str], partner_a: dict[str, str]) -> dict[str, Any]:
    add_manager(client, admin, "M-P01", partner="P01")
    return {"client": client, "risk": risk, "filer": partner_a}


def _signed_application(client: TestClient, filer: dict[str, str], risk: dict[str, str], passport: str) -> int:
    r = client.post("/v1/applications", headers=filer, json=filer_body("P01", "M-P01", passport=passport))
    assert r.status_code == 201, r.text
    app = r.json()
    if app["status"] == "referred":
        app = client.post(f"/v1/applications/{app['id']}/decision", headers=risk,
                          json={"decision": "approve", "reason": "checked"}).json()
    for step in ("contract", "sign"):
        assert client.post(f"/v1/applications/{app['id']}/{step}", headers=filer).status_code == 200
    return int(app["id"])


def _count(engine: Engine, sql: str, **params: Any) -> Any:
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar_one()


def test_parallel_disbursements_make_exactly_one_loan(setup, engine: Engine, base_url: str) -> None:
    app_id = _signed_application(setup["client"], setup["filer"], setup["risk"], "4512 100001")
    responses = in_parallel(THREADS, lambda i, c: c.post(f"{base_url}/v1/applications/{app_id}/disburse",
                                                          headers=setup["filer"]))
    codes = Counter(r.status_code for r in responses)
    assert codes == {201: 1, 409: THREADS - 1}, codes
    for r in responses:
        if r.status_code == 409:
            assert r.headers["content-type"].startswith("application/problem+json")
    assert _count(engine, "SELECT count(*) FROM loan WHERE application_id = :a", a=app_id) == 1
    assert _count(engine, "SELECT count(*) FROM audit_event WHERE action = 'loan.disbursed'") == 1


def test_parallel_retries_with_one_idempotency_key_make_one_application(setup, engine: Engine,
                                                                        base_url: str) -> None:
    body = filer_body("P01", "M-P01", passport="4512 100002")
    headers = setup["filer"] | {"Idempotency-Key": "retry-storm-1"}
    responses = in_parallel(THREADS, lambda i, c: c.post(f"{base_url}/v1/applications", headers=headers, json=body))
    codes = Counter(r.status_code for r in responses)
    assert set(codes) <= {201, 409}, codes
    assert codes[201] >= 1
    created = {r.json()["id"] for r in responses if r.status_code == 201}
    assert len(created) == 1, created  # the first response and every replay name one application
    replays = [r for r in responses if r.headers.get("idempotent-replayed") == "true"]
    assert len(replays) == codes[201] - 1
    assert _count(engine, "SELECT count(*) FROM application") == 1
    # After the storm, a retry replays; the same key with another body is refused.
    with httpx.Client() as c:
        again = c.post(f"{base_url}/v1/applications", headers=headers, json=body)
        assert again.status_code == 201 and again.json()["id"] in created
        assert again.headers["idempotent-replayed"] == "true"
        other = c.post(f"{base_url}/v1/applications", headers=headers, json=body | {"amount": "40000"})
        assert other.status_code in (409, 422)
    assert _count(engine, "SELECT count(*) FROM application") == 1


def test_parallel_payments_are_each_recorded_once_with_exact_balances(setup, engine: Engine,
                                                                      base_url: str) -> None:
    client, filer, risk = setup["client"], setup["filer"], setup["risk"]
    loan = to_loan(client, filer, risk, filer_body("P01", "M-P01", passport="4512 100003"))
    twin = to_loan(client, filer, risk, filer_body("P01", "M-P01", passport="4512 100004"))
    amounts = [Decimal(100 + 7 * i) + Decimal(i) / 100 for i in range(THREADS)]
    day = loan["issue_date"]
    responses = in_parallel(THREADS, lambda i, c: c.post(
        f"{base_url}/v1/loans/{loan['id']}/payments", headers=filer,
        json={"amount": str(amounts[i]), "paid_on": day}))
    assert Counter(r.status_code for r in responses) == {201: THREADS}, [r.text for r in responses]
    # The same payments one after another on an identical loan give the same state.
    for a in amounts:
        assert client.post(f"/v1/loans/{twin['id']}/payments", headers=filer,
                           json={"amount": str(a), "paid_on": day}).status_code == 201
    rows = _count(engine, "SELECT count(*) FROM loan_payment WHERE loan_id = :l", l=loan["id"])
    assert rows == THREADS
    after = client.get(f"/v1/loans/{loan['id']}", headers=filer).json()
    serial = client.get(f"/v1/loans/{twin['id']}", headers=filer).json()
    stored = _count(engine, "SELECT sum(amount) FROM loan_payment WHERE loan_id = :l", l=loan["id"])
    assert Decimal(stored) / 100 == sum(amounts)  # kopecks, each payment exactly once
    # paid on the issue day, before anything is due: every rouble is held as the advance
    assert Decimal(after["received_total"]) == sum(amounts) == Decimal(serial["received_total"])
    assert Decimal(after["advance"]) == sum(amounts) == Decimal(serial["advance"])
    for name in ("paid_total", "paid_principal", "paid_interest", "outstanding_principal", "schedule"):
        assert after[name] == serial[name], name
    assert _count(engine, "SELECT count(*) FROM audit_event WHERE action = 'loan.payment' AND entity_id = :l",
                  l=str(loan["id"])) == THREADS


def test_parallel_filings_through_many_keys(setup, engine: Engine, base_url: str, make_key: MakeKey) -> None:
    """Distinct keys, distinct Idempotency-Keys: every filing lands, none twice."""
    keys = [make_key("partner", partner="P01", name=f"k{i}") for i in range(4)]
    responses = in_parallel(THREADS, lambda i, c: c.post(
        f"{base_url}/v1/applications", headers=keys[i % 4] | {"Idempotency-Key": f"k-{i}"},
        json=filer_body("P01", "M-P01", passport=f"4513 2000{i:02d}")))
    assert Counter(r.status_code for r in responses) == {201: THREADS}
    assert len({r.json()["id"] for r in responses}) == THREADS
    assert _count(engine, "SELECT count(*) FROM application") == THREADS
