"""``/v1/risk/pdn-shares``: a quarter's issued loans by PDN band, counted by hand."""

from __future__ import annotations

from decimal import Decimal

from fastapi.testclient import TestClient

from app.core.clock import today
from app.pricing.limits import quarter_of
from app.pricing.pdn_shares import IssuedLoan, band_of, shares
from tests.factories import application_body, to_loan
from tests.pricing.conftest import LoadTable, fixture_quarter

D = Decimal


def test_bands_and_shares_by_hand() -> None:
    assert (band_of(D("0.5")), band_of(D("0.5001")), band_of(D("0.8")), band_of(D("0.8001"))) == (
        "up_to_0.5", "0.5-0.8", "0.5-0.8", "above_0.8")
    loans = [IssuedLoan("consumer", D("100000"), D("0.3")), IssuedLoan("consumer", D("300000"), D("0.6")),
             IssuedLoan("car", D("600000"), D("0.9"))]
    out = shares("2027Q1", loans)
    assert out["count"] == 3 and out["volume"] == D("1000000") and out["limits_version"] == "pdn-limits-2027Q1-v1"
    # volume shares: 100,000 / 1,000,000 = 0.1; 300,000 / 1,000,000 = 0.3; 600,000 / 1,000,000 = 0.6
    assert [(b["count"], b["volume_share"], b["count_share"]) for b in out["bands"]] == [
        (1, "0.1000", "0.3333"), (1, "0.3000", "0.3333"), (1, "0.6000", "0.3333")]
    assert all(b["limit_share"] is None and not b["above_limit"] for b in out["bands"])
    consumer = next(p for p in out["products"] if p["product_code"] == "consumer")
    assert [b["volume_share"] for b in consumer["bands"]] == ["0.2500", "0.7500", "0.0000"]
    assert shares("2030Q2", [])["limits_version"] == "none"


def test_the_quarter_through_the_api(client: TestClient, managers, admin, branch_a, risk,
                                     load_table: LoadTable) -> None:
    load_table(fixture_quarter("60"))  # this directory's policy refuses contracts without a table
    loan = to_loan(client, branch_a, risk, application_body("M-B01", passport="4510 888001"))
    r = client.get("/v1/risk/pdn-shares", headers=risk, params={"quarter": quarter_of(today())})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["count"] == 1 and body["volume"] == loan["amount"]
    assert sum(b["count"] for b in body["bands"]) == 1 and body["products"][0]["product_code"] == "consumer"
    assert client.get("/v1/risk/pdn-shares", headers=admin, params={"quarter": "1999Q1"}).json()["count"] == 0
    assert client.get("/v1/risk/pdn-shares", headers=branch_a, params={"quarter": "2027Q1"}).status_code == 403
    r = client.get("/v1/risk/pdn-shares", headers=risk, params={"quarter": "2027Q5"})
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
