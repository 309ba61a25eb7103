"""Fixtures for the application tests: managers, and a walk to an approved application."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.factories import add_manager, application_body


@pytest.fixture
def managers(client: TestClient, admin: dict[str, str]) -> None:
    add_manager(client, admin, "M-B01", branch="B01")
    add_manager(client, admin, "M-B02", branch="B02")


def file(client: TestClient, branch: dict[str, str], manager: str = "M-B01", **kw: Any) -> dict[str, Any]:
    r = client.post("/v1/applications", headers=branch, json=application_body(manager, **kw))
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def approved(client: TestClient, branch: dict[str, str], risk: dict[str, str], **kw: Any) -> dict[str, Any]:
    app = file(client, branch, **kw)
    if app["status"] == "referred":
        app = client.post(f"/v1/applications/{app['id']}/decision", headers=risk,
                          json={"decision": "approve", "reason": "checked"}).json()
    assert app["status"] == "approved", app
    return app
