"""Authentication, roles and the deny-by-default rule."""

from __future__ import annotations

import asyncio

from fastapi import FastAPI
from fastapi.security import HTTPBearer
from fastapi.testclient import TestClient
from starlette.requests import Request

from app.core.security import api_routes, bearer_key, route_roles
from tests.conftest import MakeKey


def test_every_v1_route_declares_its_roles(app: FastAPI) -> None:
    routes = [r for r in api_routes(app.routes) if r.path.startswith("/v1")]
    assert routes, "no /v1 routes registered"
    for route in routes:
        assert route_roles(route), f"{route.methods} {route.path} does not declare the roles it admits"


def test_the_contract_marks_exactly_the_routes_that_need_a_key(app: FastAPI, client: TestClient) -> None:
    # require() reads the header itself, so app.main declares the scheme; it must follow the routes
    spec = client.get("/openapi.json").json()
    assert spec["components"]["securitySchemes"] == {
        "HTTPBearer": {"type": "http", "description": "An API key from `loans keys create`.", "scheme": "bearer"}
    }
    for route in api_routes(app.routes):
        if not route.include_in_schema:
            continue
        for method in route.methods:
            op = spec["paths"][route.path_format][method.lower()]
            expected = [{"HTTPBearer": []}] if route_roles(route) else None
            assert op.get("security") == expected, (method, route.path)


def test_bearer_header_parsing_matches_httpbearer() -> None:
    reference = HTTPBearer(auto_error=False)
    for header in (None, "", "Bearer", "Bearer ", "Bearer  abc ", "bearer abc", "BEARER abc", "Basic abc",
                   "Bearer abc def", " Bearer abc", "Token abc", "Bearer\tabc"):
        headers = [] if header is None else [(b"authorization", header.encode())]
        request = Request({"type": "http", "headers": headers})
        creds = asyncio.run(reference(request))
        expected = creds.credentials if creds is not None and creds.scheme.lower() == "bearer" else None
        assert bearer_key(request.headers.get("authorization")) == expected, header


def test_missing_key_is_401_problem_with_challenge(client: TestClient) -> None:
    r = client.get("/v1/me")
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.headers["www-authenticate"].startswith("Bearer")
    body = r.json()
    assert body["status"] == 401 and body["title"] and body["detail"] and body["type"]


def test_unknown_and_malformed_keys_are_401(client: TestClient) -> None:
    for header in ("Bearer lk_nope", "Bearer ", "Basic dXNlcjpwdw==", "Bearer " + "x" * 5000):
        r = client.get("/v1/me", headers={"Authorization": header})
        assert r.status_code == 401, header
        assert "www-authenticate" in r.headers


def test_me_reports_role_and_scope(client: TestClient, make_key: MakeKey) -> None:
    cases = [
        (make_key("admin", name="ops"), {"role": "admin", "branch_id": None, "partner_id": None}),
        (make_key("branch", branch="B7"), {"role": "branch", "branch_id": "B7", "partner_id": None}),
        (make_key("partner", partner="SHOP1"), {"role": "partner", "partner_id": "SHOP1"}),
        (make_key("risk_officer"), {"role": "risk_officer"}),
    ]
    for headers, expected in cases:
        r = client.get("/v1/me", headers=headers)
        assert r.status_code == 200, r.text
        body = r.json()
        for k, v in expected.items():
            assert body[k] == v


def test_revoked_key_is_refused(client: TestClient, engine, make_key: MakeKey) -> None:
    from app.apikeys import service
    from app.core.db import transaction

    headers = make_key("admin")
    assert client.get("/v1/me", headers=headers).status_code == 200
    key_id = client.get("/v1/me", headers=headers).json()["key_id"]
    with transaction(engine, write=True) as session:
        service.revoke_key(session, key_id)
    assert client.get("/v1/me", headers=headers).status_code == 401


def test_rate_limit_answers_429_with_retry_after(app: FastAPI, client: TestClient,
                                                  make_key: MakeKey) -> None:
    app.state.rate_limiter.per_minute = 3
    headers = make_key("partner", partner="P9")
    statuses = [client.get("/v1/me", headers=headers).status_code for _ in range(5)]
    assert statuses[:3] == [200, 200, 200]
    r = client.get("/v1/me", headers=headers)
    assert r.status_code == 429
    assert int(r.headers["retry-after"]) >= 1
    assert r.headers["content-type"].startswith("application/problem+json")
    # Another key has its own budget.
    assert client.get("/v1/me", headers=make_key("admin")).status_code == 200


def test_key_cache_remembers_known_keys_until_the_ttl() -> None:
    from app.core.security import KeyCache, Principal
    from schemas.identity import Role

    now = [100.0]
    cache = KeyCache(5, clock=lambda: now[0])
    p = Principal(key_id=1, name="k", role=Role.ADMIN)
    assert cache.get("h") is None
    cache.put("h", p)
    assert cache.get("h") is p
    now[0] += 5.1
    assert cache.get("h") is None, "a revocation must take effect after the TTL"
    off = KeyCache(0)
    off.put("h", p)
    assert off.get("h") is None


def test_cached_key_is_served_without_the_database(app, client, make_key) -> None:
    from app.core.security import KeyCache

    app.state.key_cache = KeyCache(60)
    headers = make_key("admin")
    assert client.get("/v1/me", headers=headers).status_code == 200
    app.state.engine.dispose()
    real = app.state.engine
    app.state.engine = None  # any database use would now fail
    try:
        assert client.get("/v1/me", headers=headers).status_code == 200
    finally:
        app.state.engine = real
