"""The contract as data (Ordinance 3240-U's table, PSK, schedule) and as HTML; the PDN warning."""

from __future__ import annotations

from decimal import Decimal

from fastapi.testclient import TestClient

from app.applications.individual_terms import NOT_APPLICABLE, ROWS, rubles
from tests.applications.conftest import approved

ITEMS = ["1", "2", "3", "4", "5", "5.1", "6", "7", "8", "8.1", "9", "10", "11", "12", "13", "14", "15", "16"]


def test_the_contract_json_has_every_row_of_the_table_in_order(client: TestClient, managers, branch_a, risk) -> None:
    app = approved(client, branch_a, risk)
    issued = client.post(f"/v1/applications/{app['id']}/contract", headers=branch_a)
    assert issued.status_code == 200, issued.text
    read = client.get(f"/v1/applications/{app['id']}/contract", headers=branch_a | {"Accept": "application/json"})
    assert read.status_code == 200 and read.headers["content-type"].startswith("application/json")
    c = read.json()
    assert {k: v for k, v in c.items() if k != "status"} == {k: v for k, v in issued.json().items() if k != "status"}
    terms = c["individual_terms"]
    assert [t["item"] for t in terms] == ITEMS == [item for item, _ in ROWS]
    assert all(t["title"] and t["value"] for t in terms)
    by_item = {t["item"]: t for t in terms}
    assert by_item["5"]["value"] == by_item["5.1"]["value"] == NOT_APPLICABLE  # no currency, a fixed rate
    assert by_item["9"]["value"] == "Отсутствует" and by_item["3"]["value"] == "Российский рубль"
    assert by_item["1"]["value"].startswith("300 000,00 руб.")
    assert c["number"] == f"КД-{app['id']:06d}" and c["lender"]["name"] and c["borrower"]["name"]
    assert c["borrower"]["details"].endswith("паспорт ****3456")  # never the whole passport
    # the PSK: percent with 3 decimals, roubles = total payments - amount (no fees here)
    assert len(c["psk_percent"].split(".")[1]) == 3
    assert Decimal(c["psk_amount"]) == Decimal(c["total_payments"]) - Decimal("300000")
    # new contracts accrue actual/365, the programme's day count, and keep the loan book's keys
    assert c["day_count"] == "actual/365" and c["method"] == "annuity" and len(c["payments"]) == 24
    assert set(c["payments"][0]) >= {"number", "date", "principal", "interest", "fee"}


def test_html_is_the_default_and_escapes_the_data(client: TestClient, managers, branch_a, risk) -> None:
    app = approved(client, branch_a, risk, full_name="Иванов <script>alert(1)</script> Пётр")
    client.post(f"/v1/applications/{app['id']}/contract", headers=branch_a)
    page = client.get(f"/v1/applications/{app['id']}/contract", headers=branch_a)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    c = client.get(f"/v1/applications/{app['id']}/contract", headers=branch_a | {"Accept": "application/json"}).json()
    assert c["psk_percent"].replace(".", ",") + " % годовых" in html
    assert rubles(c["psk_amount"]) + " рублей" in html
    # the PSK box comes before the table of individual terms, the schedule has a fee column
    assert html.index('id="psk"') < html.index('id="individual-terms"') < html.index('id="schedule"')
    assert "<th class=\"num\">Комиссия</th>" in html
    # text/html asked first, then JSON: HTML
    both = client.get(f"/v1/applications/{app['id']}/contract",
                      headers=branch_a | {"Accept": "text/html, application/json"})
    assert both.headers["content-type"].startswith("text/html")


def test_above_half_pdn_the_contract_warns_and_signing_needs_the_acknowledgement(
    client: TestClient, managers, branch_a, risk
) -> None:
    # income 60,000, declared 15,000; 300,000 over 24 months at ~30 % is ~16,800 a month:
    # PDN ~ 0.53, above 0.5 and within the programme's 0.8
    app = approved(client, branch_a, risk, monthly_income="60000", monthly_debt_payments="15000")
    pdn = Decimal(app["decision"]["pdn"])
    assert Decimal("0.5") < pdn <= Decimal("0.8")
    c = client.post(f"/v1/applications/{app['id']}/contract", headers=branch_a).json()
    assert c["pdn"] == app["decision"]["pdn"] and "50 процентов" in c["pdn_warning"]
    html = client.get(f"/v1/applications/{app['id']}/contract", headers=branch_a).text
    assert 'id="pdn-warning"' in html
    r = client.post(f"/v1/applications/{app['id']}/sign", headers=branch_a)
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "#/pdn_warning_acknowledged"
    r = client.post(f"/v1/applications/{app['id']}/sign", headers=branch_a, json={"pdn_warning_acknowledged": False})
    assert r.status_code == 422
    r = client.post(f"/v1/applications/{app['id']}/sign", headers=branch_a, json={"pdn_warning_acknowledged": True})
    assert r.status_code == 200 and r.json()["status"] == "signed"
    c = client.get(f"/v1/applications/{app['id']}/contract", headers=branch_a | {"Accept": "application/json"}).json()
    assert c["pdn_warning_acknowledged"] is True and c["signed_at"]


def test_below_half_pdn_signs_without_a_body(client: TestClient, managers, branch_a, risk) -> None:
    app = approved(client, branch_a, risk)
    assert Decimal(app["decision"]["pdn"]) <= Decimal("0.5")
    c = client.post(f"/v1/applications/{app['id']}/contract", headers=branch_a).json()
    assert c["pdn_warning"] is None
    assert client.post(f"/v1/applications/{app['id']}/sign", headers=branch_a).status_code == 200


def test_a_contract_issued_before_the_individual_terms_reads_back_with_every_row(
    client: TestClient, engine, managers, branch_a, risk
) -> None:
    from app.applications.table import ApplicationRow
    from app.core.db import transaction

    app = approved(client, branch_a, risk)
    client.post(f"/v1/applications/{app['id']}/contract", headers=branch_a)
    old_keys = {"issue_date", "annual_rate", "method", "day_count", "regular_payment", "psk_percent", "psk_amount",
                "total_payments", "payments", "issued_at"}
    with transaction(engine, write=True) as session:  # as the service stored contracts before issue 18
        row = session.get(ApplicationRow, app["id"])
        assert row is not None and row.contract is not None
        row.contract = {k: v for k, v in row.contract.items() if k in old_keys} | {"day_count": "30/360"}
        session.add(row)
    c = client.get(f"/v1/applications/{app['id']}/contract", headers=branch_a | {"Accept": "application/json"})
    assert c.status_code == 200, c.text
    body = c.json()
    assert [t["item"] for t in body["individual_terms"]] == ITEMS and body["day_count"] == "30/360"
    assert body["number"] == f"КД-{app['id']:06d}" and body["psk_limit"] is None and body["pdn"] == app["decision"]["pdn"]
    assert client.get(f"/v1/applications/{app['id']}/contract", headers=branch_a).status_code == 200
