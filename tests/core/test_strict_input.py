"""Strict, clear input rules: each hostile or impossible value is a 4xx naming its field.

Regression tests for what answered 500 or was silently accepted before; every test runs
on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.core.clock import today
from tests.factories import add_manager, application_body


@pytest.fixture
def managers(client: TestClient, admin) -> None:
    add_manager(client, admin, "M-B01", branch="B01")


def _errors(r) -> list[dict]:
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    return r.json()["errors"]


@pytest.mark.parametrize("income", ["1.00", "0.01"])
def test_a_tiny_income_is_a_decision_not_a_500(client: TestClient, managers, branch_a, income: str) -> None:
    r = client.post("/v1/applications", headers=branch_a, json=application_body("M-B01", monthly_income=income))
    assert r.status_code == 201, r.text
    decision = r.json()["decision"]
    assert float(decision["pdn"]) > 100 and r.json()["status"] in ("declined", "referred")


@pytest.mark.parametrize("amount", ["1_000", "１２３", "١٢٣", " 1000", "1e3", "1000.001", "-5", "0x10"])
def test_money_is_plain_ascii_digits(client: TestClient, managers, branch_a, amount: str) -> None:
    errors = _errors(client.post("/v1/applications", headers=branch_a, json=application_body("M-B01") | {"amount": amount}))
    assert [e["pointer"] for e in errors] == ["#/amount"]


@pytest.mark.parametrize("name", ["   ", "\u200b\u200b\u200b", "123 456", "---", "Иван\u200bов Пётр"])
def test_names_contain_letters_and_nothing_invisible(client: TestClient, managers, branch_a, name: str) -> None:
    errors = _errors(client.post("/v1/applications", headers=branch_a, json=application_body("M-B01", full_name=name)))
    assert [e["pointer"] for e in errors] == ["#/borrower/full_name"]


@pytest.mark.parametrize("passport", ["0000 000000", "0000 123456", "4510 000000"])
def test_all_zero_passports_are_refused(client: TestClient, managers, branch_a, passport: str) -> None:
    errors = _errors(client.post("/v1/applications", headers=branch_a, json=application_body("M-B01", passport=passport)))
    assert "#/borrower/passport_number" in [e["pointer"] for e in errors]


def test_employment_fits_in_the_working_life(client: TestClient, managers, branch_a) -> None:
    born = today().replace(year=today().year - 25) - timedelta(days=2)

    def body(months: int) -> dict:
        b = application_body("M-B01", birth_date=str(born), employment_months=months)
        b["documents"][0]["issued_on"] = str(born.replace(year=born.year + 21))  # the passport of age 20
        return b

    errors = _errors(client.post("/v1/applications", headers=branch_a, json=body(11 * 12 + 1)))
    assert errors[0]["pointer"] == "#/borrower/employment_months" and "132 months" in errors[0]["detail"]
    r = client.post("/v1/applications", headers=branch_a, json=body(11 * 12))
    assert r.status_code == 201, r.text


def test_a_birth_date_in_the_future_is_an_error_on_the_birth_date(client: TestClient, managers, branch_a) -> None:
    body = application_body("M-B01", birth_date=str(today() + timedelta(days=1)))
    errors = _errors(client.post("/v1/applications", headers=branch_a, json=body))
    assert [e["pointer"] for e in errors] == ["#/borrower/birth_date"]


def test_a_posted_document_is_pointed_into(client: TestClient, managers, branch_a) -> None:
    app_ = client.post("/v1/applications", headers=branch_a, json=application_body("M-B01", complete=False)).json()
    future = {"type": "income_statement", "issued_on": str(today() + timedelta(days=3))}
    errors = _errors(client.post(f"/v1/applications/{app_['id']}/documents", headers=branch_a, json=future))
    assert errors[0]["pointer"] == "#/issued_on"


def test_unknown_query_parameters_are_refused(client: TestClient, managers, branch_a, risk) -> None:
    for path in ("/v1/applications", "/v1/loans", "/v1/managers", "/v1/products", "/v1/reminders"):
        errors = _errors(client.get(path, headers=branch_a, params={"passport_number": "4510 123456"}))
        assert errors == [{"parameter": "passport_number", "detail": "this operation takes no such parameter"}]
    assert client.get("/v1/applications", headers=branch_a, params={"limit": 5}).status_code == 200


def test_as_of_may_not_pass_the_business_date(app: FastAPI, client: TestClient, managers, risk) -> None:
    ahead = str(today() + timedelta(days=1))
    for path in ("/v1/risk/manager-flags", "/v1/managers/M-B01/portfolio", "/v1/loans"):
        errors = _errors(client.get(path, headers=risk, params={"as_of": ahead}))
        assert errors[0]["parameter"] == "as_of"


def test_as_of_before_the_first_loan_is_an_empty_portfolio_without_later_plans(client: TestClient, managers, risk) -> None:
    this_month = today().strftime("%Y-%m")
    assert client.put("/v1/managers/M-B01/plan", headers=risk, json={"period": this_month, "volume": "1000000"}).status_code == 200
    early = str(today().replace(day=1) - timedelta(days=40))
    p = client.get("/v1/managers/M-B01/portfolio", headers=risk, params={"as_of": early}).json()
    assert p["issued"]["count"] == 0 and p["plans"] == []


@pytest.mark.parametrize(
    ("change", "pointer"),
    [
        ({"rate_by_grade": {"Z9": "10"}}, "#/rate_by_grade"),
        ({"required_documents": ["passport", "passport"]}, "#/required_documents"),
        ({"required_documents": ["snils"]}, "#/required_documents"),
        ({"pdn_limit": "0"}, "#/pdn_limit"),
        ({"pdn_limit": "2.5"}, "#/pdn_limit"),
        ({"channels": ["branch", "branch"]}, "#/channels"),
        ({"min_amount": "5000", "max_amount": "1000"}, "#/max_amount"),
        ({"min_term_months": 12, "max_term_months": 6}, "#/max_term_months"),
        ({"min_age": 30, "max_age": 25}, "#/max_age"),
        ({"name": "   "}, "#/name"),
    ],
)
def test_the_catalogue_validates_its_programmes(client: TestClient, admin, change: dict, pointer: str) -> None:
    body = client.get("/v1/products/consumer", headers=admin).json() | {"code": "consumer_x"}
    errors = _errors(client.post("/v1/products", headers=admin, json=body | change))
    assert pointer in [e["pointer"] for e in errors], errors


def test_an_inactive_programme_says_so(client: TestClient, admin, managers, branch_a) -> None:
    body = client.get("/v1/products/consumer", headers=admin).json()
    fields = {k: v for k, v in body.items() if k != "code"} | {"active": False}
    assert client.put("/v1/products/consumer", headers=admin, json=fields).status_code == 200
    errors = _errors(client.post("/v1/applications", headers=branch_a, json=application_body("M-B01")))
    assert "inactive" in errors[0]["detail"]


@pytest.mark.parametrize("reason", ["   ", "...", "12345", "\u200b\u200b\u200b"])
def test_a_risk_decision_gives_its_reason_in_words(client: TestClient, managers, risk, reason: str) -> None:
    errors = _errors(client.post("/v1/applications/1/decision", headers=risk, json={"decision": "approve", "reason": reason}))
    assert [e["pointer"] for e in errors] == ["#/reason"]


def test_messages_read_as_english(client: TestClient, managers, admin, branch_a) -> None:
    r = client.post("/v1/applications", headers=admin, json=application_body("M-B01"))
    assert r.status_code == 403 and r.json()["detail"].startswith("An admin key may not")
    app_ = client.post("/v1/applications", headers=branch_a, json=application_body("M-B01", complete=False)).json()
    r = client.post(f"/v1/applications/{app_['id']}/contract", headers=branch_a)
    assert r.status_code == 409
    assert r.json()["detail"] == "Cannot issue a contract for an application that is documents_required."
