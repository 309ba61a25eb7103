"""Applications through the HTTP API: filing, documents, decisions, tenancy, idempotency."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from app.core.clock import today
from tests.factories import add_manager, application_body


@pytest.fixture
def managers(client: TestClient, admin) -> None:
    add_manager(client, admin, "M-B01", branch="B01")
    add_manager(client, admin, "M-B02", branch="B02")
    add_manager(client, admin, "M-P01", partner="P01")
    add_manager(client, admin, "M-P02", partner="P02")


def test_complete_application_is_rated_and_decided(client: TestClient, managers, branch_a) -> None:
    r = client.post("/v1/applications", headers=branch_a, json=application_body("M-B01"))
    assert r.status_code == 201, r.text
    app = r.json()
    assert app["status"] in ("approved", "referred", "declined")
    assert app["channel"] == "branch" and app["branch_id"] == "B01" and app["partner_id"] is None
    rating = app["rating"]
    assert 0 < float(rating["pd"]) < 1 and rating["grade"] and rating["scorecard_version"]
    assert app["decision"]["policy_version"] and app["decision"]["reasons"]
    assert app["missing_documents"] == []


def test_missing_documents_then_added(client: TestClient, managers, branch_a) -> None:
    body = application_body("M-B01", complete=False)
    app = client.post("/v1/applications", headers=branch_a, json=body).json()
    assert app["status"] == "documents_required"
    assert app["missing_documents"] == ["income_statement"] and app["rating"] is None
    stale = {"type": "income_statement", "issued_on": str(today() - timedelta(days=45))}
    r = client.post(f"/v1/applications/{app['id']}/documents", headers=branch_a, json=stale)
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"].endswith("/issued_on")
    fresh = {"type": "income_statement", "issued_on": str(today())}
    r = client.post(f"/v1/applications/{app['id']}/documents", headers=branch_a, json=fresh)
    assert r.status_code == 200 and r.json()["status"] in ("approved", "referred", "declined")
    again = client.post(f"/v1/applications/{app['id']}/documents", headers=branch_a, json=fresh)
    assert again.status_code == 409


@pytest.mark.parametrize("change, pointer", [
    ({"documents": [{"type": "passport", "number": "45 10 12", "issued_on": "2010-01-01"}]}, "#/documents/0/number"),
    ({"documents": [{"type": "passport", "number": "4510 123456", "issued_on": "2999-01-01"}]}, "#/documents/0/issued_on"),
    ({"documents": [{"type": "passport", "number": "4510 123456", "issued_on": "1990-01-01"}]}, "#/documents/0/issued_on"),
])
def test_invalid_documents_are_422_naming_the_field(client: TestClient, managers, branch_a, change, pointer) -> None:
    body = application_body("M-B01") | change
    r = client.post("/v1/applications", headers=branch_a, json=body)
    assert r.status_code == 422, r.text
    assert pointer in {e.get("pointer") for e in r.json()["errors"]}
    assert client.get("/v1/applications", headers=branch_a).json()["items"] == []


@pytest.mark.parametrize("field", ["status", "rating", "channel", "branch_id", "partner_id", "decision", "id"])
def test_mass_assignment_is_rejected(client: TestClient, managers, partner_a, field) -> None:
    body = application_body("M-P01", product="pos_installment", amount="50000", term=12)
    body[field] = "approved" if field == "status" else "X"
    r = client.post("/v1/applications", headers=partner_a, json=body)
    assert r.status_code == 422
    assert f"#/{field}" in {e.get("pointer") for e in r.json()["errors"]}


@pytest.mark.parametrize("manager, product, pointer", [
    ("M-B01", "no_such_product", "#/product_code"),
    ("M-B02", "no_such_product", "#/manager_id"),  # the manager is checked first
    ("M-NONE", "no_such_product", "#/manager_id"),
    ("M-NONE", "consumer", "#/manager_id"),
])
def test_unknown_manager_or_product_is_422_naming_it(
    client: TestClient, managers, branch_a, manager, product, pointer
) -> None:
    # one query looks up both (the product with the manager joined on); each error still
    # names its own field, and nothing is stored
    body = application_body(manager) | {"product_code": product}
    r = client.post("/v1/applications", headers=branch_a, json=body)
    assert r.status_code == 422, r.text
    assert [e["pointer"] for e in r.json()["errors"]] == [pointer]
    assert client.get("/v1/applications", headers=branch_a).json()["items"] == []


def test_filers_use_only_their_own_managers_and_channels(client: TestClient, managers, branch_a, partner_a) -> None:
    r = client.post("/v1/applications", headers=branch_a, json=application_body("M-B02"))
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "#/manager_id"
    r = client.post("/v1/applications", headers=partner_a, json=application_body("M-B01"))
    assert r.status_code == 422
    # pos_installment is a partner-only programme.
    body = application_body("M-B01", product="pos_installment", amount="50000", term=12)
    r = client.post("/v1/applications", headers=branch_a, json=body)
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "#/product_code"
    r = client.post("/v1/applications", headers=branch_a, json=application_body("M-B01", amount="10"))
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "#/amount"


def test_risk_officers_and_admins_cannot_file(client: TestClient, managers, risk, admin) -> None:
    for who in (risk, admin):
        assert client.post("/v1/applications", headers=who, json=application_body("M-B01")).status_code == 403


def test_tenancy_other_scopes_get_404_and_empty_lists(client: TestClient, managers, branch_a, branch_b,
                                                      partner_a, partner_b, risk) -> None:
    mine = client.post("/v1/applications", headers=branch_a, json=application_body("M-B01")).json()
    body = application_body("M-P01", product="pos_installment", amount="50000", term=12, passport="4511 654321")
    theirs = client.post("/v1/applications", headers=partner_a, json=body).json()
    for who, hidden in ((branch_b, mine), (partner_b, theirs), (partner_a, mine), (branch_a, theirs)):
        for suffix in ("", "/history", "/contract"):
            assert client.get(f"/v1/applications/{hidden['id']}{suffix}", headers=who).status_code == 404
        for step in ("contract", "sign", "withdraw", "disburse"):
            assert client.post(f"/v1/applications/{hidden['id']}/{step}", headers=who).status_code == 404
        ids = {a["id"] for a in client.get("/v1/applications", headers=who).json()["items"]}
        assert hidden["id"] not in ids
    assert client.get(f"/v1/applications/{mine['id']}", headers=branch_a).status_code == 200
    assert {a["id"] for a in client.get("/v1/applications", headers=risk).json()["items"]} == {mine["id"], theirs["id"]}
    assert client.get("/v1/managers/M-B02", headers=branch_a).status_code == 404
    assert [m["id"] for m in client.get("/v1/managers", headers=partner_a).json()["items"]] == ["M-P01"]


def test_state_machine_refuses_other_transitions(client: TestClient, managers, branch_a, risk) -> None:
    app = client.post("/v1/applications", headers=branch_a, json=application_body("M-B01", complete=False)).json()
    for step in ("contract", "sign", "disburse"):
        r = client.post(f"/v1/applications/{app['id']}/{step}", headers=branch_a)
        assert r.status_code == 409 and r.headers["content-type"].startswith("application/problem+json")
    r = client.post(f"/v1/applications/{app['id']}/decision", headers=risk, json={"decision": "approve", "reason": "why not"})
    assert r.status_code == 409
    r = client.post(f"/v1/applications/{app['id']}/withdraw", headers=branch_a, json={"reason": "changed mind"})
    assert r.status_code == 200 and r.json()["status"] == "withdrawn"
    assert client.post(f"/v1/applications/{app['id']}/withdraw", headers=branch_a).status_code == 409
    history = client.get(f"/v1/applications/{app['id']}/history", headers=branch_a).json()
    assert [(h["from_status"], h["to_status"]) for h in history] == [
        (None, "documents_required"), ("documents_required", "withdrawn")]
    assert history[1]["actor"] == "branch-B01" and history[1]["role"] == "branch"
    assert history[1]["reason"] == "changed mind"


def test_fraud_same_passport_through_another_channel_is_referred(client: TestClient, managers, branch_a,
                                                                 partner_a) -> None:
    client.post("/v1/applications", headers=branch_a, json=application_body("M-B01"))
    body = application_body("M-P01", product="pos_installment", amount="50000", term=12)
    app = client.post("/v1/applications", headers=partner_a, json=body).json()
    if app["status"] != "declined":
        assert app["status"] == "referred"
        assert any("another branch or partner" in r for r in app["decision"]["reasons"])


def test_fraud_one_manager_many_applications_for_one_borrower(client: TestClient, managers, branch_a) -> None:
    statuses = [client.post("/v1/applications", headers=branch_a, json=application_body("M-B01")).json()
                for _ in range(3)]
    last = statuses[-1]
    if last["status"] != "declined":
        assert last["status"] == "referred"
        assert any("one manager for the same borrower" in r for r in last["decision"]["reasons"])


def test_list_filters_and_cursor_pagination(client: TestClient, managers, branch_a) -> None:
    ids = []
    for i in range(5):
        body = application_body("M-B01", complete=False, passport=f"45{i:02d} 12345{i}")
        ids.append(client.post("/v1/applications", headers=branch_a, json=body).json()["id"])
    seen, cursor = [], None
    while True:
        params = {"limit": 2, "status": "documents_required"} | ({"cursor": cursor} if cursor else {})
        page = client.get("/v1/applications", headers=branch_a, params=params).json()
        seen += [a["id"] for a in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == sorted(ids, reverse=True)
    assert client.get("/v1/applications", headers=branch_a, params={"status": "approved"}).json()["items"] == []
    assert client.get("/v1/applications", headers=branch_a, params={"cursor": "garbage!"}).status_code == 422
    assert len(client.get("/v1/applications", headers=branch_a, params={"limit": 1000}).json()["items"]) == 5
    tomorrow = str(today() + timedelta(days=1))
    assert client.get("/v1/applications", headers=branch_a, params={"created_from": tomorrow}).json()["items"] == []


def test_idempotency_key_replays_and_guards(client: TestClient, managers, partner_a, partner_b) -> None:
    body = application_body("M-P01", product="pos_installment", amount="50000", term=12)
    key = {"Idempotency-Key": "order-778-attempt"}
    first = client.post("/v1/applications", headers=partner_a | key, json=body)
    again = client.post("/v1/applications", headers=partner_a | key, json=body)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json() and again.headers.get("idempotent-replayed") == "true"
    assert len(client.get("/v1/applications", headers=partner_a).json()["items"]) == 1
    changed = client.post("/v1/applications", headers=partner_a | key, json=body | {"amount": "60000"})
    assert changed.status_code == 422
    # Keys are scoped to the caller: another partner's same key is a different request.
    other = application_body("M-P02", product="pos_installment", amount="50000", term=12, passport="4600 111111")
    assert client.post("/v1/applications", headers=partner_b | key, json=other).status_code == 201
    # A failed request does not burn the key.
    bad_key = {"Idempotency-Key": "order-779"}
    assert client.post("/v1/applications", headers=partner_a | bad_key, json=body | {"manager_id": "M-P02"}).status_code == 422
    assert client.post("/v1/applications", headers=partner_a | bad_key, json=body).status_code == 201


def test_a_configured_policy_is_applied_and_recorded(app, client: TestClient, managers, branch_a, tmp_path) -> None:
    import json
    from importlib import resources

    policy = json.loads(resources.files("app.decisions").joinpath("policy-2026.11-v1.json").read_text())
    policy["version"] = "policy-test-strict"
    policy["grade_cutoffs"]["consumer"] = {"approve_up_to": "A1", "refer_up_to": "A1"}
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(policy))
    app.state.settings = app.state.settings.model_copy(update={"decision_policy_path": str(path)})
    app_ = client.post("/v1/applications", headers=branch_a, json=application_body("M-B01")).json()
    assert app_["decision"]["policy_version"] == "policy-test-strict"
    if app_["rating"]["grade"] != "A1":
        assert app_["status"] == "declined"
