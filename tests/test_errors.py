"""Every error, the framework's own included, is RFC 9457 problem details."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel, ConfigDict

from app.core.security import ALL_ROLES
from app.deps import require


class _Inner(BaseModel):
    birth_date: date


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount: Decimal
    borrower: _Inner


def _add_probe_routes(app: FastAPI) -> None:
    @app.post("/v1/_probe", dependencies=[require(*ALL_ROLES)])
    def probe(body: _Body) -> dict[str, str]:
        return {"ok": "yes"}

    @app.get("/_boom")
    def boom() -> None:
        raise RuntimeError("secret internal detail")


def _is_problem(r, status: int) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    for field in ("type", "title", "status", "detail"):
        assert field in body, field
    assert body["status"] == status
    return body


def test_unknown_path_is_404_problem(client: TestClient) -> None:
    _is_problem(client.get("/v1/does-not-exist"), 404)


def test_wrong_method_is_405_problem(client: TestClient) -> None:
    _is_problem(client.delete("/healthz"), 405)


def test_validation_lists_each_bad_field_with_a_pointer(app: FastAPI, client: TestClient,
                                                        admin: dict[str, str]) -> None:
    _add_probe_routes(app)
    r = client.post("/v1/_probe", headers=admin,
                    json={"amount": "abc", "borrower": {"birth_date": "31.02.1990"}, "status": "x"})
    body = _is_problem(r, 422)
    pointers = {e["pointer"] for e in body["errors"]}
    assert pointers == {"#/amount", "#/borrower/birth_date", "#/status"}
    assert all(e["detail"] for e in body["errors"])


def test_malformed_json_is_422_problem(app: FastAPI, client: TestClient, admin) -> None:
    _add_probe_routes(app)
    r = client.post("/v1/_probe", headers={**admin, "Content-Type": "application/json"},
                    content=b"{not json")
    _is_problem(r, 422)


def test_unexpected_error_is_logged_500_with_correlation_id(app: FastAPI, client: TestClient,
                                                             caplog) -> None:
    _add_probe_routes(app)
    r = client.get("/_boom", headers={"X-Request-ID": "req-123"})
    body = _is_problem(r, 500)
    assert body["correlation_id"] == "req-123"
    assert "secret internal detail" not in r.text and "Traceback" not in r.text
    assert any("req-123" in rec.getMessage() for rec in caplog.records)
