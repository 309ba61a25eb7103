"""PDN counts the bank's own open loans to the passport (Ordinance 6579-U); a passport known
under another name or birth date, or filed too often, is referred."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from fastapi.testclient import TestClient

from tests.applications.conftest import approved, file
from tests.factories import application_body

PASSPORT = "4510 777001"


def to_loan(client: TestClient, branch: dict[str, str], risk: dict[str, str], **kw: Any) -> dict[str, Any]:
    app = approved(client, branch, risk, passport=PASSPORT, **kw)
    contract = client.post(f"/v1/applications/{app['id']}/contract", headers=branch).json()
    assert client.post(f"/v1/applications/{app['id']}/sign", headers=branch).status_code == 200
    r = client.post(f"/v1/applications/{app['id']}/disburse", headers=branch)
    assert r.status_code == 201, r.text
    return contract  # type: ignore[no-any-return]


def average(contract: dict[str, Any]) -> Decimal:
    payments = [Decimal(p["principal"]) + Decimal(p["interest"]) + Decimal(p["fee"]) for p in contract["payments"]]
    return (sum(payments, Decimal(0)) / len(payments)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def test_a_third_loan_counts_the_two_already_disbursed(client: TestClient, managers, branch_a, risk) -> None:
    first = to_loan(client, branch_a, risk, amount="200000", monthly_income="200000")
    second = to_loan(client, branch_a, risk, amount="150000", monthly_income="200000")
    third = file(client, branch_a, passport=PASSPORT, amount="300000", monthly_income="200000")
    details = third["decision"]["pdn_details"]
    own = average(first) + average(second)
    assert details["own_loans"] == 2 and Decimal(details["own_loans_payments"]) == own
    assert details["declared_payments"] == "10000.00" and details["income_source"] == "declared"
    # PDN = (declared 10,000 + own + the new payment) / 200,000, to 4 places
    new = Decimal(third["decision"]["regular_payment"])
    assert Decimal(details["new_payment"]) == new
    expected = ((Decimal("10000") + own + new) / Decimal("200000")).quantize(Decimal("0.0001"), ROUND_HALF_UP)
    assert Decimal(third["decision"]["pdn"]) == expected
    # the declared debts alone (the old rule) would have left out own / income, about 0.098 here
    assert own / Decimal("200000") > Decimal("0.09")
    assert expected - ((Decimal("10000") + new) / Decimal("200000")) > Decimal("0.09")


def test_income_source_is_recorded(client: TestClient, managers, branch_a) -> None:
    body = application_body("M-B01", passport="4510 777002")
    body["borrower"]["income_source"] = "tax_data"
    app = client.post("/v1/applications", headers=branch_a, json=body).json()
    assert app["borrower"]["income_source"] == "tax_data"
    assert app["decision"]["pdn_details"]["income_source"] == "tax_data"
    assert client.get(f"/v1/applications/{app['id']}", headers=branch_a).json()["borrower"]["income_source"] == "tax_data"
    body["borrower"]["income_source"] = "rumour"
    assert client.post("/v1/applications", headers=branch_a, json=body).status_code == 422


def test_a_known_passport_under_another_name_is_referred(client: TestClient, managers, branch_a) -> None:
    file(client, branch_a, passport="4510 777003", full_name="Петров Иван Сергеевич")
    # the same person written otherwise (case, spaces, ё) is no signal
    same = file(client, branch_a, passport="4510 777003", full_name="ПЕТРОВ  иван сергеевич")
    assert not any("already known" in r for r in same["decision_reasons"])
    other = file(client, branch_a, passport="4510 777003", full_name="Сидоров Пётр Ильич")
    assert other["status"] == "referred"
    assert "fraud: the passport is already known to the bank under another name" in other["decision_reasons"]


def test_a_known_passport_with_another_birth_date_is_referred(client: TestClient, managers, branch_a) -> None:
    file(client, branch_a, passport="4510 777004", birth_date="1985-04-12")
    other = file(client, branch_a, passport="4510 777004", birth_date="1990-01-30")
    assert other["status"] == "referred"
    assert "fraud: the passport is already known to the bank under another birth date" in other["decision_reasons"]
    both = file(client, branch_a, passport="4510 777004", birth_date="1990-01-30", full_name="Сидоров Пётр Ильич")
    assert ("fraud: the passport is already known to the bank under another name and another birth date"
            in both["decision_reasons"])


def test_more_than_five_applications_in_30_days_are_referred(client: TestClient, managers, branch_a, make_key) -> None:
    # spread over two branches' managers and keys so the count, not one manager, is the signal
    branch_b = make_key("branch", branch="B02", name="branch-B02")
    for n in range(5):
        who, manager = (branch_a, "M-B01") if n % 2 else (branch_b, "M-B02")
        file(client, who, manager, passport="4510 777005")
    sixth = file(client, branch_a, passport="4510 777005")
    assert sixth["status"] == "referred"
    assert ("fraud: 6 applications with the same passport across all channels within 30 days (more than 5)"
            in sixth["decision_reasons"])
