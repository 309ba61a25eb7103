"""The PSK limit through the API and the CLI: tables loaded, listed, and contracts refused."""

from __future__ import annotations

import json
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from app.core.clock import today
from app.core.config import Settings
from app.pricing import cli
from app.pricing.limits import quarter_of
from tests.factories import application_body
from tests.pricing.conftest import LoadTable, fixture_quarter

SHIPPED = resources.files("app.pricing").joinpath("data/psk-limits-2025Q3.json")


def approved(client: TestClient, branch: dict[str, str], risk: dict[str, str], **kw: Any) -> int:
    app = client.post("/v1/applications", headers=branch, json=application_body("M-B01", **kw)).json()
    if app["status"] == "referred":
        app = client.post(f"/v1/applications/{app['id']}/decision", headers=risk,
                          json={"decision": "approve", "reason": "checked"}).json()
    assert app["status"] == "approved", app
    return int(app["id"])


def test_the_shipped_quarter_is_loaded_and_the_cli_adds_a_version(
    client: TestClient, settings: Settings, branch_a, capsys
) -> None:
    # migration 0007 loads the one table shipped as version 1
    r = client.get("/v1/psk-limits", headers=branch_a, params={"on": "2025-08-15"})
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 1 and r.json()["missing"]
    args = type("Args", (), {"file": str(SHIPPED), "by": "test"})()
    assert cli.load_command(args, settings) == 0  # type: ignore[arg-type]
    assert "loaded the 2025Q3 PSK limits (6 categories), version 2" in capsys.readouterr().out
    body = client.get("/v1/psk-limits", headers=branch_a, params={"on": "2025-08-15"}).json()
    assert body["quarter"] == "2025Q3" and body["version"] == 2 and body["valid_to"] == "2025-09-30"
    assert [(row["category"], row["limit_percent"]) for row in body["rows"]] == [
        ("1.1", "35.599"), ("1.2", "37.640"), ("2.1.1", "64.327"), ("2.1.2", "65.268"),
        ("2.2.1", "59.352"), ("2.2.2", "59.483")]
    assert body["source"]["url"] == "https://www.garant.ru/products/ipo/prime/doc/411925014"
    # loaded again (a corrected publication): the next version is the one in force
    assert cli.load_command(args, settings) == 0  # type: ignore[arg-type]
    assert client.get("/v1/psk-limits", headers=branch_a, params={"on": "2025-07-01"}).json()["version"] == 3
    r = client.get("/v1/psk-limits", headers=branch_a, params={"on": "2025-10-01"})
    assert r.status_code == 404 and "loans psk-limits load FILE" in r.json()["detail"]


def test_the_cli_refuses_an_inconsistent_table(tmp_path: Path, settings: Settings, capsys) -> None:
    data = json.loads(SHIPPED.read_text(encoding="utf-8"))
    data["rows"][1]["limit_percent"] = "40.000"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data), encoding="utf-8")
    args = type("Args", (), {"file": str(bad), "by": "test"})()
    assert cli.load_command(args, settings) == 2  # type: ignore[arg-type]
    assert "#/rows/1/limit_percent" in capsys.readouterr().err


def test_no_table_for_the_quarter_refuses_the_contract_and_says_how_to_load_one(
    client: TestClient, managers, branch_a, risk
) -> None:
    app_id = approved(client, branch_a, risk)
    r = client.post(f"/v1/applications/{app_id}/contract", headers=branch_a)
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    problem = r.json()
    assert "loans psk-limits load FILE" in problem["detail"] and problem["quarter"] == quarter_of(today())
    assert problem["errors"] == [{"pointer": "#/psk_percent", "detail": f"no PSK limit for {quarter_of(today())}"}]
    # refused means not issued: the application is still approved
    assert client.get(f"/v1/applications/{app_id}", headers=branch_a).json()["status"] == "approved"


def test_a_contract_above_the_limit_is_refused_naming_the_limit(
    client: TestClient, managers, branch_a, risk, load_table: LoadTable
) -> None:
    load_table(fixture_quarter("15"))  # limit 20.000 %: below any consumer loan's PSK here
    app_id = approved(client, branch_a, risk)
    r = client.post(f"/v1/applications/{app_id}/contract", headers=branch_a)
    assert r.status_code == 422, r.text
    problem = r.json()
    assert problem["psk_limit_percent"] == "20.000" and problem["category"] == "9.1"
    assert problem["quarter"] == quarter_of(today()) and Decimal(problem["psk_percent"]) > 20
    assert "exceeds the limit of 20.000 %" in problem["detail"] and "category 9.1" in problem["detail"]
    assert problem["errors"][0]["pointer"] == "#/psk_percent"


def test_a_contract_within_the_limit_records_the_limit(
    client: TestClient, managers, branch_a, risk, load_table: LoadTable
) -> None:
    load_table(fixture_quarter("60"))  # limit 80.000 %
    app_id = approved(client, branch_a, risk)
    r = client.post(f"/v1/applications/{app_id}/contract", headers=branch_a)
    assert r.status_code == 200, r.text
    contract = r.json()
    assert contract["psk_limit"] == {
        "quarter": quarter_of(today()), "category": "9.1",
        "title": "Нецелевые потребительские кредиты без обеспечения (тестовая категория)",
        "average_percent": "60", "limit_percent": "80.000"}
    assert Decimal(contract["psk_percent"]) <= Decimal("80.000") and contract["status"] == "contract_issued"


def test_offers_mark_a_programme_whose_psk_is_above_the_limit(
    client: TestClient, branch_a, load_table: LoadTable
) -> None:
    body = {"borrower": {"birth_date": "1985-04-12", "monthly_income": "150000", "monthly_debt_payments": "10000"},
            "wish": {"amount": "300000", "term_months": 24, "purpose": "consumer"}, "channel": "branch"}
    before = {o["product_code"]: o for o in client.post("/v1/offers", headers=branch_a, json=body).json()}
    assert all(o["psk_limit_percent"] is None for o in before.values())  # no table for the quarter yet
    load_table(fixture_quarter("15"))  # limit 20.000 % for non-targeted unsecured loans
    after = {o["product_code"]: o for o in client.post("/v1/offers", headers=branch_a, json=body).json()}
    consumer = after["consumer"]
    assert consumer["psk_limit_percent"] == "20.000" and Decimal(consumer["psk_percent"]) > 20
    assert not consumer["eligible"]
    assert any(r.startswith("psk_limit: the PSK of") and "category 9.1" in r for r in consumer["reasons"])
    assert consumer["reasons"] == [*before["consumer"]["reasons"], consumer["reasons"][-1]]
