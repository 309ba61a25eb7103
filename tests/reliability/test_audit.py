"""The append-only audit trail: every state change and key event, with actor and time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from app.apikeys import service as keys_service
from app.core.db import transaction
from schemas.identity import Role
from tests.factories import add_manager
from tests.reliability.support import filer_body, seed_world


def _audit(engine: Engine) -> list[dict]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT at, actor, action, entity, entity_id FROM audit_event ORDER BY id"))
        return [dict(r._mapping) for r in rows]


def _aware(at: object) -> datetime:
    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    assert isinstance(at, datetime)
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def test_full_application_flow_is_audited(client: TestClient, engine: Engine, admin, risk, partner_a) -> None:
    start = datetime.now(UTC) - timedelta(seconds=5)
    before = len(_audit(engine))
    ids = seed_world(client, admin, risk, {"P01": partner_a})["P01"]
    loan_id, pending = ids["loan"], ids["pending_application"]
    assert client.post(f"/v1/loans/{loan_id}/payments", headers=partner_a,
                       json={"amount": "1000", "paid_on": client.get(f"/v1/loans/{loan_id}", headers=partner_a)
                             .json()["issue_date"]}).status_code == 201
    assert client.post(f"/v1/applications/{pending}/documents", headers=partner_a,
                       json={"type": "income_statement", "issued_on": str(datetime.now(UTC).date())}).status_code in (200, 409)
    assert client.post(f"/v1/applications/{pending}/withdraw", headers=partner_a,
                       json={"reason": "changed mind"}).status_code == 200
    # A refused call changes nothing and is not audited as a change.
    assert client.post(f"/v1/applications/{pending}/sign", headers=partner_a).status_code == 409

    events = _audit(engine)[before:]
    actions = [e["action"] for e in events]
    assert "manager.created" in actions and "loan.disbursed" in actions and "loan.payment" in actions
    # Every transition in every application's history has its audit row (same order, same actor).
    for app_id in (ids["application"], pending):
        history = client.get(f"/v1/applications/{app_id}/history", headers=partner_a).json()
        audited = [e for e in events if e["entity"] == "application" and e["entity_id"] == str(app_id)
                   and e["action"] != "application.document_added"]
        assert [f"application.{h['to_status']}" for h in history] == [e["action"] for e in audited]
    assert "application.withdrawn" in actions
    now = datetime.now(UTC) + timedelta(seconds=5)
    for e in events:
        assert e["actor"], e
        assert start <= _aware(e["at"]) <= now, e
    filer_actor = "partner-P01 (partner)"
    assert {e["actor"] for e in events if e["action"].startswith(("loan.", "application."))} <= {
        filer_actor, "test-risk (risk_officer)"}
    assert {e["actor"] for e in events if e["action"] == "manager.created"} == {"test-admin (admin)"}


def test_key_creation_and_revocation_are_audited(engine: Engine) -> None:
    with transaction(engine, write=True) as session:
        row, _ = keys_service.create_key(session, role=Role.BRANCH, branch_id="B9", name="audit-me", actor="ops-cli")
    with transaction(engine, write=True) as session:
        keys_service.revoke_key(session, row.id, actor="ops-cli")
    with transaction(engine, write=True) as session:
        keys_service.revoke_key(session, row.id, actor="ops-cli")  # revoking twice records once
    events = [e for e in _audit(engine) if e["entity"] == "api_key" and e["entity_id"] == str(row.id)]
    assert [e["action"] for e in events] == ["api_key.created", "api_key.revoked"]
    assert {e["actor"] for e in events} == {"ops-cli"}
    assert all(e["at"] is not None for e in events)


def test_cli_key_commands_are_audited(database_url: str, engine: Engine, monkeypatch, capsys) -> None:
    from app import cli

    monkeypatch.setenv("LOANS_DATABASE_URL", database_url)
    cli.get_settings.cache_clear()
    try:
        assert cli.main(["keys", "create", "--role", "admin", "--name", "cli-made"]) == 0
        key_id = next(e["entity_id"] for e in reversed(_audit(engine)) if e["action"] == "api_key.created")
        assert cli.main(["keys", "revoke", key_id]) == 0
    finally:
        cli.get_settings.cache_clear()
    capsys.readouterr()
    events = [e for e in _audit(engine) if e["entity_id"] == key_id and e["entity"] == "api_key"]
    assert [e["action"] for e in events] == ["api_key.created", "api_key.revoked"]
    assert all(e["actor"] == "cli" for e in events)


def test_audit_rows_cannot_be_changed_or_deleted(client: TestClient, engine: Engine, admin) -> None:
    add_manager(client, admin, "M-X", branch="B01")
    for sql in ("UPDATE audit_event SET actor = 'someone else'", "DELETE FROM audit_event"):
        with pytest.raises(DBAPIError), engine.begin() as conn:
            conn.execute(text(sql))
    assert any(e["action"] == "manager.created" and e["actor"] == "test-admin (admin)" for e in _audit(engine))


def test_every_write_route_leaves_an_audit_row(client: TestClient, engine: Engine, admin, partner_a) -> None:
    """Product and plan changes, too (admin and risk functions)."""
    add_manager(client, admin, "M-P01", partner="P01")
    before = len(_audit(engine))
    product = client.get("/v1/products/consumer", headers=admin).json()
    fields = {k: v for k, v in product.items() if k not in ("code", "created_at", "updated_at")}
    r = client.put("/v1/products/consumer", headers=admin, json=fields | {"description": "audited"})
    assert r.status_code == 200, r.text
    r = client.put("/v1/managers/M-P01/plan", headers=admin, json={"period": "2026-12", "volume": "1000000"})
    assert r.status_code == 200, r.text
    r = client.post("/v1/applications", headers=partner_a, json=filer_body("P01", "M-P01"))
    assert r.status_code == 201
    actions = [e["action"] for e in _audit(engine)[before:]]
    assert "product.updated" in actions
    assert any(a.startswith("manager.plan") or a.startswith("plan.") for a in actions), actions
    assert "application.documents_required" in actions or any(a.startswith("application.") for a in actions)
