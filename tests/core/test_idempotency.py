"""Retries never book twice: every state-changing POST honours Idempotency-Key, per tenant.

On SQLite and PostgreSQL (the ``client`` fixture runs each test on both).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from app.core import idempotency
from app.core.security import api_routes, dependency_calls
from app.deps import _idempotency
from tests.factories import add_manager, application_body, to_loan

# POSTs that compute and store nothing: a retry is harmless by nature.
PURE = {"/v1/quotes", "/v1/quotes/max-amount", "/v1/quotes/early-repayment", "/v1/offers"}


@pytest.fixture
def managers(client: TestClient, admin) -> None:
    add_manager(client, admin, "M-B01", branch="B01")
    add_manager(client, admin, "M-P01", partner="P01")


def test_every_state_changing_post_honours_the_key(app: FastAPI) -> None:
    posts = [r for r in api_routes(app.routes) if "POST" in (r.methods or ()) and r.path.startswith("/v1")]
    assert len(posts) >= 12
    for route in posts:
        if route.path in PURE:
            continue
        assert _idempotency in dependency_calls(route), f"POST {route.path} ignores Idempotency-Key"
    spec = app.openapi()
    for route in posts:
        if route.path not in PURE:
            params = spec["paths"][route.path]["post"].get("parameters", [])
            assert any(p["name"] == "idempotency-key" and p["in"] == "header" for p in params), route.path


def test_a_retried_payment_books_once_and_replays_the_answer(client: TestClient, managers, branch_a, risk) -> None:
    loan = to_loan(client, branch_a, risk, application_body("M-B01", amount="120000", term=12))
    first_due = loan["schedule"][0]
    body = {"amount": first_due["payment"], "paid_on": loan["issue_date"]}
    key = {"Idempotency-Key": "pay-1"}
    first = client.post(f"/v1/loans/{loan['id']}/payments", headers=branch_a | key, json=body)
    again = client.post(f"/v1/loans/{loan['id']}/payments", headers=branch_a | key, json=body)
    assert first.status_code == again.status_code == 201
    assert again.content == first.content and again.headers["idempotent-replayed"] == "true"
    state = client.get(f"/v1/loans/{loan['id']}", headers=branch_a).json()
    assert state["received_total"] == first_due["payment"], "the retry was booked a second time"
    # the same key with another amount is another request: refused, nothing booked
    other = client.post(f"/v1/loans/{loan['id']}/payments", headers=branch_a | key, json=body | {"amount": "1.00"})
    assert other.status_code == 422 and other.json()["errors"][0]["header"] == "Idempotency-Key"
    assert client.get(f"/v1/loans/{loan['id']}", headers=branch_a).json()["received_total"] == first_due["payment"]


def test_a_retried_disbursement_returns_the_loan(client: TestClient, managers, branch_a, risk) -> None:
    app_ = client.post("/v1/applications", headers=branch_a, json=application_body("M-B01")).json()
    if app_["status"] == "referred":
        client.post(f"/v1/applications/{app_['id']}/decision", headers=risk,
                    json={"decision": "approve", "reason": "checked"})
    for step in ("contract", "sign"):
        key = {"Idempotency-Key": f"{step}-{app_['id']}"}
        first = client.post(f"/v1/applications/{app_['id']}/{step}", headers=branch_a | key)
        again = client.post(f"/v1/applications/{app_['id']}/{step}", headers=branch_a | key)
        assert first.status_code == again.status_code == 200 and first.content == again.content
    key = {"Idempotency-Key": "disburse-once"}
    first = client.post(f"/v1/applications/{app_['id']}/disburse", headers=branch_a | key)
    again = client.post(f"/v1/applications/{app_['id']}/disburse", headers=branch_a | key)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.json()["application_id"] == app_["id"]
    # without the key a second disbursement is the conflict it is
    assert client.post(f"/v1/applications/{app_['id']}/disburse", headers=branch_a).status_code == 409


def test_keys_belong_to_the_tenant_not_to_one_api_key(client: TestClient, managers, make_key) -> None:
    till_1 = make_key("partner", partner="P01", name="till-1")
    till_2 = make_key("partner", partner="P01", name="till-2")
    other_partner = make_key("partner", partner="P02", name="other")
    body = application_body("M-P01", product="pos_installment", amount="50000", term=12)
    key = {"Idempotency-Key": "order-42"}
    first = client.post("/v1/applications", headers=till_1 | key, json=body)
    second = client.post("/v1/applications", headers=till_2 | key, json=body)
    assert first.status_code == second.status_code == 201 and first.json()["id"] == second.json()["id"]
    assert len(client.get("/v1/applications", headers=till_1).json()["items"]) == 1
    # another tenant's key of the same text is its own: here it fails on the manager, unbooked
    assert client.post("/v1/applications", headers=other_partner | key, json=body).status_code == 422


def test_admin_posts_replay_too(client: TestClient, admin) -> None:
    key = {"Idempotency-Key": "mgr-create"}
    body = {"id": "M-X", "name": "X", "channel": "branch", "branch_id": "B9"}
    first = client.post("/v1/managers", headers=admin | key, json=body)
    again = client.post("/v1/managers", headers=admin | key, json=body)
    assert first.status_code == again.status_code == 201 and first.content == again.content
    # without a key the duplicate is a conflict, as before
    assert client.post("/v1/managers", headers=admin, json=body).status_code == 409


def test_the_same_key_on_another_operation_is_refused(client: TestClient, managers, branch_a) -> None:
    key = {"Idempotency-Key": "reused"}
    app_ = client.post("/v1/applications", headers=branch_a | key, json=application_body("M-B01")).json()
    r = client.post(f"/v1/applications/{app_['id']}/withdraw", headers=branch_a | key)
    assert r.status_code == 422 and "another request" in r.json()["detail"]


def test_a_request_in_flight_is_409_with_retry_after(client: TestClient, engine: Engine, managers, branch_a) -> None:
    body = application_body("M-B01")
    digest = idempotency.request_digest(
        "POST", "/v1/applications", client.build_request("POST", "/", json=body).content
    )
    me = client.get("/v1/me", headers=branch_a).json()
    claimed = idempotency.claim(engine, tenant="branch:B01", key="in-flight", digest=digest,
                                key_id=me["key_id"], ttl=timedelta(hours=1))
    assert isinstance(claimed, int)
    r = client.post("/v1/applications", headers=branch_a | {"Idempotency-Key": "in-flight"}, json=body)
    assert r.status_code == 409 and r.headers["retry-after"] == "1"
    assert client.get("/v1/applications", headers=branch_a).json()["items"] == []


def test_a_failed_request_frees_its_key(client: TestClient, managers, branch_a) -> None:
    key = {"Idempotency-Key": "fix-and-retry"}
    bad = application_body("M-B01") | {"manager_id": "M-P01"}
    assert client.post("/v1/applications", headers=branch_a | key, json=bad).status_code == 422
    invalid = application_body("M-B01") | {"amount": "-1"}
    assert client.post("/v1/applications", headers=branch_a | key, json=invalid).status_code == 422
    assert client.post("/v1/applications", headers=branch_a | key, json=application_body("M-B01")).status_code == 201
