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


def test_a_refusal_of_the_loan_maths_is_one_422_handler(app: FastAPI, client: TestClient) -> None:
    from app.core.errors import maths_fields
    from app.loanmath import LoanMathError

    @app.get("/_maths/plain")
    def plain(field: str | None = None) -> None:
        raise LoanMathError("amount must be > 0", field=field)

    @app.get("/_maths/nested")
    @maths_fields(terms_at="terms/", names={"on": "date"})
    def nested(field: str) -> None:
        raise LoanMathError("no such day", field=field)

    body = _is_problem(client.get("/_maths/plain"), 422)
    assert body["detail"] == "amount must be > 0" and "errors" not in body
    # an unmarked route's body is the terms; a marked one says where they are and what is renamed
    assert client.get("/_maths/plain?field=terms.amount").json()["errors"] == [
        {"pointer": "#/amount", "detail": "amount must be > 0"}]
    assert client.get("/_maths/nested?field=terms.amount").json()["errors"][0]["pointer"] == "#/terms/amount"
    assert client.get("/_maths/nested?field=on").json()["errors"][0]["pointer"] == "#/date"
    assert client.get("/_maths/nested?field=amount").json()["errors"][0]["pointer"] == "#/amount"
