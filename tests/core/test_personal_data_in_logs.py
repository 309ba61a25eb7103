"""Nothing personal reaches the logs, on any error path, on SQLite and PostgreSQL.

Each test files an application whose borrower has a recognisable name, passport and
phone, drives one error path (text the database cannot store, a constraint violation
inside a request, the database gone), and reads everything the service logged.
"""

from __future__ import annotations

import json
import logging

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.pool import NullPool

from app.applications import service as applications
from app.core.observability import JsonFormatter
from tests.factories import add_manager, application_body

NAME, PASSPORT, PHONE = "Засекреченная Алевтина Ивановна", "4599 918273", "+79990001122"
SECRETS = (NAME, PASSPORT, PASSPORT.replace(" ", ""), PHONE, "918273")


def _body(**kw: object) -> dict:
    return application_body("M-B01", passport=PASSPORT, full_name=NAME, phone=PHONE, **kw)


def _assert_clean(lines: list[str]) -> None:
    text_ = "\n".join(lines)
    for secret in SECRETS:
        assert secret not in text_, f"{secret!r} reached the log"


@pytest.fixture
def manager(client: TestClient, admin) -> None:
    add_manager(client, admin, "M-B01", branch="B01")


def test_text_the_database_cannot_store(client: TestClient, manager, branch_a, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    for hostile in ("bad\u0000byte", "\ud800"):
        body = _body()
        body["borrower"]["full_name"] = NAME + hostile
        raw = json.dumps(body).encode()  # ensure_ascii: the surrogate travels as \\ud800
        r = client.post("/v1/applications", headers=branch_a | {"content-type": "application/json"}, content=raw)
        assert r.status_code == 422, r.text
        assert r.json()["errors"][0]["pointer"] == "#/borrower/full_name"
    r = client.get("/v1/applications", headers=branch_a, params={"manager_id": "M\u0000"})
    assert r.status_code == 422 and r.json()["errors"][0]["parameter"] == "manager_id"
    _assert_clean([JsonFormatter().format(rec) for rec in caplog.records])


def test_a_constraint_violation_inside_a_request(
    client: TestClient, manager, branch_a, monkeypatch: pytest.MonkeyPatch, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    real = applications.audit.record_many

    def clash(conn, **kw):  # a bug that inserts the borrower's data twice under one key
        stmt = text("INSERT INTO manager (id, name, channel, created_at) VALUES (:id, :name, 'branch', :at)")
        conn.execute(stmt, {"id": PASSPORT, "name": NAME + PHONE, "at": kw["at"]})
        conn.execute(stmt, {"id": PASSPORT, "name": NAME + PHONE, "at": kw["at"]})
        return real(conn, **kw)

    monkeypatch.setattr(applications.audit, "record_many", clash)
    r = client.post("/v1/applications", headers=branch_a, json=_body())
    assert r.status_code == 500 and r.json()["correlation_id"]
    # the error is logged, with its type and stack, and without the values
    lines = [JsonFormatter().format(rec) for rec in caplog.records]
    assert any("IntegrityError" in line for line in lines)
    _assert_clean(lines)
    # the connection survives the 500
    assert client.get("/healthz").status_code == 200


def test_the_database_gone(app: FastAPI, client: TestClient, database_url: str, manager, branch_a, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    assert client.get("/v1/me", headers=branch_a).status_code == 200
    app.state.engine.dispose()
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        from pathlib import Path

        Path(url.database or "").unlink()
        Path(url.database or "").mkdir()  # a directory where the file was: nothing opens it
    else:
        admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{url.database}" WITH (FORCE)'))
        admin.dispose()
    r = client.post("/v1/applications", headers=branch_a, json=_body())
    assert r.status_code in (401, 503), r.text  # the key lookup or the filing meets the outage
    _assert_clean([JsonFormatter().format(rec) for rec in caplog.records])
