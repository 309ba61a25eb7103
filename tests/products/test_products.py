"""The product catalogue over HTTP: seeded programmes, admin-only changes."""

from __future__ import annotations

from fastapi.testclient import TestClient

NEW = {
    "code": "green_home", "name": "Green renovation", "min_amount": "50000", "max_amount": "2000000",
    "min_term_months": 6, "max_term_months": 60, "annual_rate": "15.5", "min_age": 21,
    "max_age": 70, "min_income": "30000", "pdn_limit": "0.6", "channels": ["branch"],
    "required_documents": ["passport", "income_statement"],
}


def test_seeded_catalogue_has_the_four_programmes(client: TestClient, partner_a) -> None:
    r = client.get("/v1/products", headers=partner_a)
    assert r.status_code == 200
    by_code = {p["code"]: p for p in r.json()["items"]}
    assert {"consumer", "car", "mortgage", "pos_installment"} <= set(by_code)
    assert by_code["pos_installment"]["channels"] == ["pos"]
    assert by_code["pos_installment"]["required_documents"] == ["passport"]
    assert set(by_code["consumer"]["required_documents"]) == {"passport", "income_statement"}
    assert by_code["consumer"]["annual_rate"] == "27.9"
    assert by_code["consumer"]["min_amount"] == "30000.00"


def test_get_one_and_unknown(client: TestClient, branch_a) -> None:
    assert client.get("/v1/products/mortgage", headers=branch_a).json()["max_term_months"] == 360
    r = client.get("/v1/products/nope", headers=branch_a)
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")


def test_only_admin_creates_and_replaces(client: TestClient, admin, branch_a, partner_a, risk) -> None:
    for who in (branch_a, partner_a, risk):
        assert client.post("/v1/products", headers=who, json=NEW).status_code == 403
    r = client.post("/v1/products", headers=admin, json=NEW)
    assert r.status_code == 201, r.text
    assert r.json()["min_amount"] == "50000.00"
    assert client.post("/v1/products", headers=admin, json=NEW).status_code == 409
    body = {k: v for k, v in NEW.items() if k != "code"} | {"annual_rate": "14.25"}
    r = client.put("/v1/products/green_home", headers=admin, json=body)
    assert r.status_code == 200 and r.json()["annual_rate"] == "14.25"
    assert client.put("/v1/products/absent", headers=admin, json=body).status_code == 404


def test_bad_products_are_422(client: TestClient, admin) -> None:
    bad = [
        NEW | {"min_amount": "3000000"},             # min above max
        NEW | {"annual_rate": "abc"},
        NEW | {"min_amount": "10.001"},              # sub-kopeck
        NEW | {"required_documents": ["income_statement"]},
        NEW | {"channels": ["atm"]},
        NEW | {"code": "Bad Code"},
        NEW | {"annual_rate": "NaN"},
        NEW | {"max_amount": "1e30"},
    ]
    for body in bad:
        r = client.post("/v1/products", headers=admin, json=body)
        assert r.status_code == 422, (body, r.text)
    assert client.get("/v1/products/green_home", headers=admin).status_code == 404
