"""OWASP API Security Top 10 (2023) checks against the real app.

API1 object-level authorisation: every route with an id in its path, taken from the
OpenAPI document the app serves (so a new route is covered without editing this file),
is called by every role on objects of another scope: the answer is 404 (as if the object
did not exist) or 403 (role not admitted), never data and never a state change.
API5 function-level authorisation: every /v1 route's declared roles are read from the
app; every other role gets 403.
API3/API6 mass assignment: server-owned fields in bodies are refused with 422.
API4 resource consumption: body cap (413), page-size cap, per-key rate limit (429 with
Retry-After, set by LOANS_RATE_LIMIT_PER_MINUTE; 0 turns it off).
API8/API10 (logging): a full flow's logs carry no passport, phone, name or key.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.core.config import Settings
from app.core.observability import JsonFormatter
from app.core.security import api_routes, route_roles
from app.main import create_app
from schemas.identity import Role
from tests.conftest import MakeKey
from tests.factories import BORROWER, add_manager, application_body
from tests.reliability.support import filer_body, seed_world

# Bodies good enough to pass validation, so the answer is about authorisation.
BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/v1/applications/{application_id}/documents"):
        {"type": "income_statement", "issued_on": "2026-11-01"},
    ("POST", "/v1/applications/{application_id}/decision"): {"decision": "approve", "reason": "ok"},
    ("POST", "/v1/applications/{application_id}/withdraw"): {"reason": "changed mind"},
    ("POST", "/v1/loans/{loan_id}/payments"): {"amount": "1000.00", "paid_on": "2026-12-01"},
    ("POST", "/v1/loans/{loan_id}/early-repayments"): {"on": "2030-01-01", "mode": "reduce_term"},
    ("POST", "/v1/loans/{loan_id}/payment-holidays"): {"from": "2030-01-01", "months": 1},
    ("PUT", "/v1/managers/{manager_id}/plan"): {"period": "2026-12", "volume": "1000000"},
    ("PUT", "/v1/products/{code}"): {},
}
# Path parameters that name an object owned by a branch or partner.
SCOPED = {"application_id": "pending_application", "loan_id": "loan", "manager_id": "manager"}
SCOPES = ("B01", "B02", "P01", "P02")


@pytest.fixture
def keys(make_key: MakeKey) -> dict[str, dict[str, str]]:
    return {
        "admin": make_key("admin", name="t-admin"), "risk": make_key("risk_officer", name="t-risk"),
        "B01": make_key("branch", branch="B01", name="t-B01"), "B02": make_key("branch", branch="B02", name="t-B02"),
        "P01": make_key("partner", partner="P01", name="t-P01"), "P02": make_key("partner", partner="P02", name="t-P02"),
    }


@pytest.fixture
def world(client: TestClient, keys: dict[str, dict[str, str]]) -> dict[str, Any]:
    return seed_world(client, keys["admin"], keys["risk"], {s: keys[s] for s in SCOPES})


def _object_routes(app: FastAPI) -> list[tuple[str, str, list[str]]]:
    """(method, path template, path parameters) of every operation with an object id in its path."""
    out = []
    for path, item in app.openapi()["paths"].items():
        params = re.findall(r"{(\w+)}", path)
        if not set(params) & set(SCOPED):
            continue
        for method in item:
            out.append((method.upper(), path, params))
    return out


def _call(client: TestClient, method: str, template: str, params: list[str], ids: dict[str, Any],
          headers: dict[str, str]) -> Any:
    values = {p: ids[SCOPED[p]] for p in params if p in SCOPED}
    path = template.format(**values)
    body = BODIES.get((method, template))
    if body is None and method in ("POST", "PUT", "PATCH"):
        body = {}
    return client.request(method, path, headers=headers, json=body)


def test_object_level_authorisation_on_every_id_route(app: FastAPI, client: TestClient,
                                                      keys: dict[str, dict[str, str]], world) -> None:
    routes = _object_routes(app)
    assert len(routes) >= 15, routes  # applications, loans, managers and whatever comes next
    checked = 0
    for method, template, params in routes:
        for owner in SCOPES:
            for caller in SCOPES:
                if caller == owner:
                    continue
                r = _call(client, method, template, params, world[owner], keys[caller])
                assert r.status_code in (403, 404), (
                    f"{caller} key on {owner}'s object: {method} {template} -> {r.status_code} {r.text[:300]}")
                for leaked in (BORROWER["phone"], BORROWER["full_name"], "passport_number", "outstanding"):
                    assert leaked not in r.text, r.text
                checked += 1
    # Owners (positive control): the same ids are real and readable by their own scope.
    for owner in SCOPES:
        for template in ("/v1/applications/{application_id}", "/v1/loans/{loan_id}",
                         "/v1/managers/{manager_id}"):
            params = re.findall(r"{(\w+)}", template)
            assert _call(client, "GET", template, params, world[owner], keys[owner]).status_code == 200
    assert checked == len(routes) * len(SCOPES) * (len(SCOPES) - 1)


def test_lists_show_only_the_callers_scope(client: TestClient, keys, world) -> None:
    for caller in SCOPES:
        for path in ("/v1/applications", "/v1/loans", "/v1/managers", "/v1/reminders?within_days=90"):
            r = client.get(path, headers=keys[caller])
            assert r.status_code == 200, r.text
            data = r.json()
            items = data["items"] if isinstance(data, dict) else data
            others = [s for s in SCOPES if s != caller]
            for item in items:
                assert item.get("manager_id", item.get("id")) == world[caller]["manager"], (caller, path, item)
            text = r.text
            for other in others:
                assert f"M-{other}" not in text


def test_function_level_authorisation_every_route_every_role(app: FastAPI, client: TestClient, keys,
                                                            world) -> None:
    key_for = {Role.ADMIN: keys["admin"], Role.RISK_OFFICER: keys["risk"], Role.BRANCH: keys["B01"],
               Role.PARTNER: keys["P01"]}
    refused = 0
    for route in api_routes(app.routes):
        if not route.path.startswith("/v1"):
            continue
        admitted = route_roles(route) or frozenset()
        params = re.findall(r"{(\w+)}", route.path)
        for role in set(Role) - admitted:
            for method in route.methods:
                ids = world["B01"] if role is Role.BRANCH else world["P01"]
                values = {p: ids[SCOPED[p]] if p in SCOPED else "consumer" for p in params}
                body = BODIES.get((method, route.path), {})
                r = client.request(method, route.path.format(**values), headers=key_for[role],
                                   json=body if method in ("POST", "PUT") else None)
                assert r.status_code == 403, f"{role.value} on {method} {route.path}: {r.status_code} {r.text[:200]}"
                assert r.headers["content-type"].startswith("application/problem+json")
                refused += 1
    # Partners and branches never reach risk or admin functions.
    for path in ("/v1/risk/manager-flags", f"/v1/managers/{world['B01']['manager']}/portfolio"):
        for scope in ("B01", "P01"):
            assert client.get(path, headers=keys[scope]).status_code == 403
    for scope in ("B01", "P01"):
        r = client.post("/v1/managers", headers=keys[scope], json={"id": "X1", "name": "x", "channel": "pos",
                                                                     "partner_id": "P01"})
        assert r.status_code == 403
    assert refused >= 20


@pytest.mark.parametrize("field,value", [("status", "approved"), ("rating", "A"), ("branch_id", "B02"),
                                         ("partner_id", "P02"), ("channel", "branch")])
def test_mass_assignment_is_refused_everywhere(client: TestClient, keys, world, field, value) -> None:
    ids = world["P01"]
    targets = [
        ("POST", "/v1/applications", filer_body("P01", ids["manager"], passport="4599 000111")),
        ("POST", f"/v1/applications/{ids['pending_application']}/documents",
         dict(BODIES[("POST", "/v1/applications/{application_id}/documents")])),
        ("POST", f"/v1/applications/{ids['pending_application']}/withdraw", {"reason": "x"}),
        ("POST", f"/v1/loans/{ids['loan']}/payments", {"amount": "100", "paid_on": "2026-12-01"}),
    ]
    for method, path, body in targets:
        r = client.request(method, path, headers=keys["P01"], json=body | {field: value})
        assert r.status_code == 422, (path, r.text)
        assert any(e.get("pointer") == f"#/{field}" for e in r.json()["errors"]), r.text
    # Nested too: the borrower cannot carry server-owned fields.
    body = filer_body("P01", ids["manager"], passport="4599 000112")
    body["borrower"][field] = value
    r = client.post("/v1/applications", headers=keys["P01"], json=body)
    assert r.status_code == 422 and any(e.get("pointer") == f"#/borrower/{field}" for e in r.json()["errors"])
    # And nothing was created or changed by the refused calls.
    app_now = client.get(f"/v1/applications/{ids['pending_application']}", headers=keys["P01"]).json()
    assert app_now["status"] != "withdrawn" and app_now["partner_id"] == "P01"


def test_body_over_one_megabyte_is_413_declared_or_streamed(client: TestClient, keys) -> None:
    big = b'{"x": "' + b"a" * (1024 * 1024 + 10) + b'"}'
    r = client.post("/v1/quotes", headers=keys["P01"] | {"content-type": "application/json"}, content=big)
    assert r.status_code == 413 and r.headers["content-type"].startswith("application/problem+json")

    def chunks() -> Iterator[bytes]:  # no Content-Length: the cap must hold while reading
        yield b'{"x": "'
        for _ in range(20):
            yield b"a" * 65536
        yield b'"}'

    r = client.post("/v1/quotes", headers=keys["P01"] | {"content-type": "application/json"}, content=chunks())
    assert r.status_code == 413, r.text
    # Just under the cap is parsed normally (422: not a quote), proving the limit is the cap.
    under = b'{"x": "' + b"a" * (1024 * 1024 - 100) + b'"}'
    r = client.post("/v1/quotes", headers=keys["P01"] | {"content-type": "application/json"}, content=under)
    assert r.status_code == 422


def _app_with(database_url: str, **settings: Any) -> FastAPI:
    return create_app(Settings(database_url=database_url, db_pool_size=5, **settings))


def test_page_size_is_capped(database_url: str, engine, client: TestClient, keys) -> None:
    add_manager(client, keys["admin"], "M-B01", branch="B01")
    for n in range(5):
        r = client.post("/v1/applications", headers=keys["B01"],
                        json=application_body("M-B01", passport=f"4511 10000{n}"))
        assert r.status_code == 201
    small = _app_with(database_url, max_page_size=2)
    try:
        with TestClient(small) as c:
            r = c.get("/v1/applications?limit=1000", headers=keys["B01"])
            assert r.status_code == 200 and len(r.json()["items"]) == 2 and r.json()["next_cursor"]
            assert c.get("/v1/applications?limit=1001", headers=keys["B01"]).status_code == 422
            assert c.get("/v1/managers?limit=1001", headers=keys["admin"]).status_code == 422
    finally:
        small.state.engine.dispose()
    # The default cap (100) also holds for a request asking for 1000.
    r = client.get("/v1/applications?limit=1000", headers=keys["B01"])
    assert len(r.json()["items"]) == 5


def test_rate_limit_from_the_environment(database_url: str, engine, keys,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOANS_RATE_LIMIT_PER_MINUTE", "5")
    limited = create_app(Settings(database_url=database_url, db_pool_size=5))
    monkeypatch.setenv("LOANS_RATE_LIMIT_PER_MINUTE", "0")
    unlimited = create_app(Settings(database_url=database_url, db_pool_size=5))
    try:
        with TestClient(limited) as c:
            codes = [c.get("/v1/me", headers=keys["P01"]).status_code for _ in range(5)]
            assert codes == [200] * 5
            # The window may roll over between two calls; then the budget starts again.
            over = [c.get("/v1/me", headers=keys["P01"]) for _ in range(6)]
            refused = [r for r in over if r.status_code == 429]
            assert refused, [r.status_code for r in over]
            for r in refused:
                assert 1 <= int(r.headers["retry-after"]) <= 60
                assert r.json()["status"] == 429
            assert c.get("/v1/me", headers=keys["P02"]).status_code == 200  # per key
        with TestClient(unlimited) as c:
            assert {c.get("/v1/me", headers=keys["P01"]).status_code for _ in range(60)} == {200}
    finally:
        limited.state.engine.dispose()
        unlimited.state.engine.dispose()


def test_logs_of_a_full_flow_hold_no_personal_data_or_keys(client: TestClient, keys, world, caplog,
                                                           capfd) -> None:
    caplog.set_level(logging.DEBUG)
    secret_passport, secret_phone, secret_name = "4977 777888", "+79995554433", "Сидорова Мария Петровна"
    ids = world["P01"]
    body = filer_body("P01", ids["manager"], passport=secret_passport, phone=secret_phone,
                      full_name=secret_name)
    headers = keys["P01"] | {"X-Request-ID": "flow-1"}
    # a query string is never logged, even one the operation refuses
    assert client.post("/v1/applications?note=" + secret_phone, headers=headers, json=body).status_code == 422
    r = client.post("/v1/applications", headers=headers, json=body)
    assert r.status_code == 201, r.text
    app_id = r.json()["id"]
    for step in ("contract", "sign"):
        assert client.post(f"/v1/applications/{app_id}/{step}", headers=headers).status_code == 200
    loan = client.post(f"/v1/applications/{app_id}/disburse", headers=headers).json()
    assert client.post(f"/v1/loans/{loan['id']}/payments", headers=headers,
                       json={"amount": "5000", "paid_on": loan["issue_date"]}).status_code == 201
    assert client.get(f"/v1/applications/{app_id}/contract", headers=headers).status_code == 200
    assert client.get("/v1/reminders?within_days=90", headers=headers).status_code == 200
    # Errors too: invalid input echoing personal data, an unknown key, another scope's object.
    bad = body | {"borrower": body["borrower"] | {"birth_date": secret_passport}}
    assert client.post("/v1/applications", headers=headers, json=bad).status_code == 422
    assert client.get("/v1/me", headers={"Authorization": "Bearer lk_" + "z" * 40}).status_code == 401
    assert client.get(f"/v1/loans/{loan['id']}", headers=keys["P02"]).status_code == 404

    formatter = JsonFormatter()
    lines = [formatter.format(rec) for rec in caplog.records]
    lines.append(capfd.readouterr().err)
    text = "\n".join(lines)
    assert "flow-1" in text  # the logs were captured
    assert any(json.loads(line).get("route") == "/v1/applications" for line in lines[:-1])
    forbidden = [secret_passport, secret_passport.replace(" ", ""), secret_phone, secret_phone[1:],
                 secret_name, "Сидорова", "lk_" + "z" * 40, "Bearer"]
    forbidden += [h["Authorization"].split()[1] for h in keys.values()]
    for needle in forbidden:
        assert needle not in text, f"{needle!r} found in the logs"


def test_unknown_path_tells_nothing(client: TestClient, tmp_path: Path) -> None:
    r = client.get("/v1/applications/1/../../admin")
    assert r.status_code in (401, 404) and "Traceback" not in r.text
