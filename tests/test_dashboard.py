"""The risk dashboard: behind the keys, renders the funnel and the flags, escapes data."""

from __future__ import annotations

import re
from datetime import date

from fastapi.testclient import TestClient


def _csrf(page_text: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', page_text)
    assert m, "the form carries no CSRF token"
    return m.group(1)


def _sign_in(client: TestClient, headers: dict[str, str]):
    key = headers["Authorization"].split()[1]
    form = client.get("/dashboard")
    return client.post("/dashboard/login", data={"key": key, "csrf_token": _csrf(form.text)},
                       follow_redirects=False)


def test_dashboard_needs_a_risk_key(client: TestClient, branch_a, partner_a) -> None:
    r = client.get("/dashboard")
    assert r.status_code == 401 and "<form" in r.text and "www-authenticate" in r.headers
    assert client.get("/dashboard", headers=branch_a).status_code == 403
    assert client.get("/dashboard", headers=partner_a).status_code == 403
    r = client.post("/dashboard/login", data={"key": "lk_nope", "csrf_token": _csrf(client.get("/dashboard").text)})
    assert r.status_code == 401
    assert _sign_in(client, branch_a).status_code == 401  # a branch key opens no session


def test_sign_in_opens_an_opaque_server_side_session(client: TestClient, engine, risk) -> None:
    key = risk["Authorization"].split()[1]
    r = _sign_in(client, risk)
    assert r.status_code == 303
    cookie = r.headers["set-cookie"]
    assert key not in cookie, "the cookie must not hold the API key"
    low = cookie.lower()
    assert "httponly" in low and "samesite=strict" in low and "path=/dashboard" in low and "secure" not in low
    page = client.get("/dashboard")
    assert page.status_code == 200 and "No manager is flagged" in page.text and "Sign out" in page.text
    # The cookie opens only the dashboard, never the API.
    assert client.get("/v1/me").status_code == 401
    # Only the token's hash is stored.
    from sqlmodel import Session, select

    from app.apikeys.web_session import DashboardSession

    token = client.cookies.get("loans_dashboard_session")
    with Session(engine) as s:
        rows = s.exec(select(DashboardSession)).all()
    assert len(rows) == 1 and token and rows[0].token_hash != token and token not in rows[0].token_hash


def test_sign_in_refuses_a_form_from_elsewhere(client: TestClient, risk) -> None:
    key = risk["Authorization"].split()[1]
    r = client.post("/dashboard/login", data={"key": key, "csrf_token": "forged"}, follow_redirects=False)
    assert r.status_code == 403 and "loans_dashboard_session" not in r.headers.get("set-cookie", "")
    client.get("/dashboard")  # a CSRF cookie now exists, but the form's token must match it
    r = client.post("/dashboard/login", data={"key": key, "csrf_token": "forged"}, follow_redirects=False)
    assert r.status_code == 403


def test_sign_out_needs_the_session_token_and_ends_the_session(client: TestClient, risk) -> None:
    assert _sign_in(client, risk).status_code == 303
    page = client.get("/dashboard")
    assert client.post("/dashboard/logout", data={"csrf_token": "forged"}, follow_redirects=False).status_code == 403
    assert client.get("/dashboard").status_code == 200
    r = client.post("/dashboard/logout", data={"csrf_token": _csrf(page.text)}, follow_redirects=False)
    assert r.status_code == 303
    stale = r.headers["set-cookie"]
    assert "loans_dashboard_session" in stale
    assert client.get("/dashboard").status_code == 401


def test_revoking_the_key_ends_its_sessions(client: TestClient, engine, risk) -> None:
    from app.apikeys import service
    from app.core.db import transaction

    assert _sign_in(client, risk).status_code == 303
    assert client.get("/dashboard").status_code == 200
    key_id = client.get("/v1/me", headers=risk).json()["key_id"]
    with transaction(engine, write=True) as session:
        service.revoke_key(session, key_id)
    r = client.get("/dashboard")
    assert r.status_code == 401 and "sign in again" in r.text


def test_the_session_cookie_is_secure_over_https(app, risk) -> None:
    with TestClient(app, base_url="https://testserver") as c:
        r = _sign_in(c, risk)
        assert r.status_code == 303 and "secure" in r.headers["set-cookie"].lower()


def test_sign_in_and_out_are_in_the_contract(app) -> None:
    paths = app.openapi()["paths"]
    assert "post" in paths["/dashboard/login"] and "post" in paths["/dashboard/logout"]


def test_demo_data_flags_the_planted_managers(client: TestClient, engine, risk) -> None:
    from app.core.db import transaction
    from app.demo import load

    with transaction(engine, write=True) as session:
        load(session, seed=7, today=date(2026, 11, 1))
    r = client.get("/dashboard", headers=risk, params={"as_of": "2026-11-01"})
    assert r.status_code == 200
    assert "<svg" in r.text and "polyline" in r.text
    flags = client.get("/v1/risk/manager-flags", headers=risk, params={"as_of": "2026-11-01"}).json()
    flagged = {f["manager_id"] for f in flags["flagged"]}
    assert {"MSK-03", "POS-03"} <= flagged, flags
    assert not flagged & {"VIP-01", "VIP-02", "POS-05"}
    for f in flags["flagged"]:
        assert ("expected" in f["summary"] and f["q_value"] is not None) or f["fpd_flagged"]
        assert f'href="/dashboard/managers/{f["manager_id"]}' in r.text
    page = client.get("/dashboard/managers/MSK-03", headers=risk, params={"as_of": "2026-11-01"})
    assert page.status_code == 200 and "Portfolio of MSK-03" in page.text
