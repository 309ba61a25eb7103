"""The risk dashboard: behind the keys, renders the funnel and the flags, escapes data."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient


def test_dashboard_needs_a_risk_key(client: TestClient, branch_a, partner_a) -> None:
    r = client.get("/dashboard")
    assert r.status_code == 401 and "<form" in r.text and "www-authenticate" in r.headers
    assert client.get("/dashboard", headers=branch_a).status_code == 403
    assert client.get("/dashboard", headers=partner_a).status_code == 403
    r = client.post("/dashboard/login", content=b"key=lk_nope", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 401


def test_login_sets_a_strict_httponly_cookie_and_the_page_renders(client: TestClient, risk, admin) -> None:
    key = risk["Authorization"].split()[1]
    r = client.post("/dashboard/login", content=f"key={key}".encode(),
                    headers={"Content-Type": "application/x-www-form-urlencoded"}, follow_redirects=False)
    assert r.status_code == 303
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/dashboard" in cookie
    page = client.get("/dashboard")
    assert page.status_code == 200 and "No manager is flagged" in page.text
    # The cookie opens only the dashboard, never the API.
    assert client.get("/v1/me").status_code == 401


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
