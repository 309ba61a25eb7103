"""The borrower's rights in servicing, through the API: the cooling-off period (353-FZ art. 7
part 9.3), early repayment on application with its notice rules (art. 11), credit holidays
(art. 6.1-2), the payoff to the day."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from tests.factories import Clock, add_manager, application_body, to_loan


@pytest.fixture
def managers(client: TestClient, admin: dict[str, str]) -> None:
    add_manager(client, admin, "M-B01", branch="B01", segment="mass")
    add_manager(client, admin, "M-P01", partner="P01", segment="pos")


def _signed(client: TestClient, filer: dict[str, str], risk: dict[str, str], body: dict) -> int:
    app = client.post("/v1/applications", headers=filer, json=body).json()
    if app["status"] == "referred":
        client.post(f"/v1/applications/{app['id']}/decision", headers=risk, json={"decision": "approve", "reason": "ok"})
    for step in ("contract", "sign"):
        assert client.post(f"/v1/applications/{app['id']}/{step}", headers=filer).status_code == 200
    return int(app["id"])


@pytest.mark.cooling_off
def test_cooling_off_holds_the_money_and_the_borrower_may_walk_away(
    client: TestClient, managers: None, branch_a: dict[str, str], risk: dict[str, str]
) -> None:
    big = _signed(client, branch_a, risk, application_body("M-B01", amount="300000", term=12))
    r = client.post(f"/v1/applications/{big}/disburse", headers=branch_a)
    assert r.status_code == 409 and "art. 7 part 9.3" in r.json()["detail"]
    not_before = r.json()["not_before"]
    assert 47 * 3600 < int(r.headers["retry-after"]) <= 48 * 3600, not_before
    # the borrower refuses inside the period, at no cost
    r = client.post(f"/v1/applications/{big}/withdraw", headers=branch_a, json={"reason": "changed my mind"})
    assert r.status_code == 200 and r.json()["status"] == "withdrawn"
    middle = _signed(client, branch_a, risk, application_body("M-B01", amount="150000", term=12,
                                                              passport="4510 654321"))
    r = client.post(f"/v1/applications/{middle}/disburse", headers=branch_a)
    assert r.status_code == 409 and 3 * 3600 < int(r.headers["retry-after"]) <= 4 * 3600


@pytest.mark.cooling_off
def test_small_loans_and_in_store_loans_are_paid_out_at_once(
    client: TestClient, managers: None, partner_a: dict[str, str], risk: dict[str, str]
) -> None:
    shop = _signed(client, partner_a, risk, application_body("M-P01", product="pos_installment", amount="120000",
                                                             term=12, passport="4600 100200"))
    assert client.post(f"/v1/applications/{shop}/disburse", headers=partner_a).status_code == 201


def test_full_repayment_within_14_days_needs_no_notice_and_closes_the_loan(
    client: TestClient, clock: Clock, managers: None, branch_a: dict[str, str], risk: dict[str, str]
) -> None:
    loan = to_loan(client, branch_a, risk, application_body("M-B01", amount="100000", term=12))
    issue = date.fromisoformat(loan["issue_date"])
    clock.day = issue + timedelta(days=5)
    payoff = client.get(f"/v1/loans/{loan['id']}/payoff", headers=branch_a).json()
    rate = Decimal(loan["annual_rate"])
    # five days' interest to the day on actual/365 (split at a year end if the days cross one)
    days = [issue + timedelta(days=k) for k in range(5)]
    expected = sum((Decimal("100000") * rate / 100 / (366 if d.year % 4 == 0 else 365) for d in days), Decimal(0))
    assert Decimal(payoff["interest"]) == expected.quantize(Decimal("0.01"))
    assert Decimal(payoff["total"]) == Decimal("100000.00") + Decimal(payoff["interest"])
    r = client.post(f"/v1/loans/{loan['id']}/early-repayments", headers=branch_a, json={"on": str(clock.day)})
    assert r.status_code == 201, r.text
    assert r.json()["early_repayment"]["status"] == "not_executed"  # no money held yet
    r = client.post(f"/v1/loans/{loan['id']}/payments", headers=branch_a,
                    json={"amount": payoff["to_pay"], "paid_on": str(clock.day)})
    assert r.status_code == 201, r.text
    state = r.json()
    assert state["status"] == "closed" and state["closed_on"] == str(clock.day)
    assert state["advance"] == "0.00" and Decimal(state["paid_interest"]) == Decimal(payoff["interest"])
    assert state["payment"]["allocation"]["early_principal"] == "100000.00"


def test_a_partial_early_repayment_after_14_days_needs_notice(
    client: TestClient, clock: Clock, managers: None, branch_a: dict[str, str], risk: dict[str, str]
) -> None:
    loan = to_loan(client, branch_a, risk, application_body("M-B01", amount="100000", term=12))
    clock.day = date.fromisoformat(loan["issue_date"]) + timedelta(days=20)
    r = client.post(f"/v1/loans/{loan['id']}/early-repayments", headers=branch_a,
                    json={"on": str(clock.day + timedelta(days=3)), "amount": "10000", "mode": "reduce_payment"})
    assert r.status_code == 422
    assert r.json()["first_allowed"] == str(clock.day + timedelta(days=30))
    assert r.json()["errors"][0]["pointer"] == "#/on"
    r = client.post(f"/v1/loans/{loan['id']}/early-repayments", headers=branch_a,
                    json={"on": str(clock.day - timedelta(days=1))})
    assert r.status_code == 422  # never in the past
    r = client.post(f"/v1/loans/{loan['id']}/early-repayments", headers=branch_a,
                    json={"on": str(clock.day + timedelta(days=30)), "amount": "999999", "mode": "reduce_term"})
    assert r.status_code == 422 and "payoff" in r.json()


def test_credit_holidays_defer_payments_once_within_the_limit(
    client: TestClient, clock: Clock, managers: None, branch_a: dict[str, str], risk: dict[str, str]
) -> None:
    loan = to_loan(client, branch_a, risk, application_body("M-B01", amount="200000", term=12))
    start = str(clock.day + timedelta(days=1))
    r = client.post(f"/v1/loans/{loan['id']}/payment-holidays", headers=branch_a, json={"from": start, "months": 3})
    assert r.status_code == 201, r.text
    after = r.json()
    assert after["holidays"] == [{"id": after["holidays"][0]["id"], "from": start, "months": 3,
                                  "applied_on": str(clock.day)}]
    clock.day += timedelta(days=1)
    held = client.get(f"/v1/loans/{loan['id']}", headers=branch_a).json()
    assert [v["reason"] for v in held["revisions"]][-1] == "holiday"
    assert held["schedule"][-1]["due_date"] > loan["schedule"][-1]["due_date"]  # deferred after the term
    assert sum(Decimal(i["principal"]) for i in held["schedule"]) == Decimal("200000.00")
    again = client.post(f"/v1/loans/{loan['id']}/payment-holidays", headers=branch_a,
                        json={"from": start, "months": 1})
    assert again.status_code == 409
    too_long = client.post(f"/v1/loans/{loan['id']}/payment-holidays", headers=branch_a,
                           json={"from": start, "months": 7})
    assert too_long.status_code == 422
    big = to_loan(client, branch_a, risk, application_body("M-B01", amount="500000", term=24, passport="4510 777777"))
    r = client.post(f"/v1/loans/{big['id']}/payment-holidays", headers=branch_a, json={"from": start, "months": 2})
    assert r.status_code == 409 and "450000" in r.json()["detail"]
