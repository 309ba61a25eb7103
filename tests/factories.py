"""Request bodies and set-up steps shared by the API tests."""

from __future__ import annotations

import copy
from datetime import date, timedelta
from typing import Any

from fastapi.testclient import TestClient

from app.core.clock import today


def manager_body(manager_id: str, *, branch: str | None = None, partner: str | None = None,
                 segment: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"id": manager_id, "name": f"Manager {manager_id}",
                            "channel": "branch" if branch else "pos"}
    if branch:
        body["branch_id"] = branch
    if partner:
        body["partner_id"] = partner
    if segment:
        body["segment"] = segment
    return body


def add_manager(client: TestClient, admin: dict[str, str], manager_id: str, **kw: Any) -> None:
    r = client.post("/v1/managers", headers=admin, json=manager_body(manager_id, **kw))
    assert r.status_code == 201, r.text


BORROWER: dict[str, Any] = {
    "full_name": "Петров Иван Сергеевич", "birth_date": "1985-04-12", "passport_number": "4510 123456",
    "monthly_income": "150000", "monthly_debt_payments": "10000", "employment_months": 72,
    "dependents": 1, "housing": "own", "credit_history": "good", "phone": "+79161234567",
}


def application_body(manager_id: str, *, product: str = "consumer", amount: str = "300000",
                     term: int = 24, passport: str = "4510 123456", complete: bool = True,
                     **borrower: Any) -> dict[str, Any]:
    b = copy.deepcopy(BORROWER) | {"passport_number": passport} | borrower
    docs: list[dict[str, Any]] = [{"type": "passport", "number": passport, "issued_on": "2010-05-10"}]
    if complete and product in ("consumer", "vip_consumer"):
        docs.append({"type": "income_statement", "issued_on": str(today() - timedelta(days=3))})
    return {"product_code": product, "amount": amount, "term_months": term, "manager_id": manager_id,
            "purpose": "consumer", "borrower": b, "documents": docs}


def to_loan(client: TestClient, filer: dict[str, str], risk: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    """File an application and walk it to disbursement; returns the loan."""
    r = client.post("/v1/applications", headers=filer, json=body)
    assert r.status_code == 201, r.text
    app = r.json()
    if app["status"] == "referred":
        app = client.post(f"/v1/applications/{app['id']}/decision", headers=risk,
                          json={"decision": "approve", "reason": "checked by phone"}).json()
    assert app["status"] == "approved", app
    for step in ("contract", "sign"):
        r = client.post(f"/v1/applications/{app['id']}/{step}", headers=filer)
        assert r.status_code == 200, r.text
    r = client.post(f"/v1/applications/{app['id']}/disburse", headers=filer)
    assert r.status_code == 201, r.text
    return r.json()


def days_after(d: str, n: int) -> str:
    return str(date.fromisoformat(d) + timedelta(days=n))


class Clock:
    """The service's business date, moved by a test (``app.state.clock``)."""

    def __init__(self, day: date) -> None:
        self.day = day

    def __call__(self) -> date:
        return self.day

