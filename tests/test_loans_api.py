"""End to end through the HTTP API: branch and partner applications become loans, are
repaid for a while, then fall 90+ days past due; on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from app.core.config import Settings
from app.loans.close_of_business import close_day
from tests.factories import Clock, add_manager, application_body, to_loan


@pytest.fixture
def managers(client: TestClient, admin) -> None:
    add_manager(client, admin, "M-B01", branch="B01", segment="mass")
    add_manager(client, admin, "M-P01", partner="P01", segment="pos")


def _loan(client, headers, loan_id, as_of: date, clock: Clock) -> dict:
    clock.day = max(clock.day, as_of)  # the book has no state after the business date
    r = client.get(f"/v1/loans/{loan_id}", headers=headers, params={"as_of": str(as_of)})
    assert r.status_code == 200, r.text
    return r.json()


def test_branch_loan_repaid_then_ninety_plus(client: TestClient, clock: Clock, managers, branch_a, risk,
                                             settings: Settings, engine: Engine) -> None:
    loan = to_loan(client, branch_a, risk, application_body("M-B01", amount="240000", term=12))
    assert loan["status"] == "active" and loan["bucket"] == "current" and len(loan["schedule"]) == 12
    assert sum(Decimal(i["principal"]) for i in loan["schedule"]) == Decimal("240000.00")
    dues = [date.fromisoformat(i["due_date"]) for i in loan["schedule"]]
    # The contact centre sees the first due date coming.
    reminders = client.get("/v1/reminders", headers=branch_a, params={"within_days": 40}).json()["items"]
    assert [(r["loan_id"], r["due_date"]) for r in reminders] == [(loan["id"], str(dues[0]))]
    assert reminders[0]["phone"] and Decimal(reminders[0]["amount"]) == Decimal(loan["schedule"][0]["payment"])
    # Two instalments paid on their due dates.
    for k in (0, 1):
        clock.day = dues[k]
        r = client.post(f"/v1/loans/{loan['id']}/payments", headers=branch_a,
                        json={"amount": loan["schedule"][k]["payment"], "paid_on": str(dues[k])})
        assert r.status_code == 201, r.text
        assert r.json()["days_past_due"] == 0
    state = _loan(client, branch_a, loan["id"], dues[1], clock)
    assert [i["status"] for i in state["schedule"][:2]] == ["paid", "paid"]
    assert Decimal(state["paid_total"]) == sum(Decimal(loan["schedule"][k]["payment"]) for k in (0, 1))
    assert not state["first_payment_default"]
    # Then nothing more: the delinquency buckets move with the calendar.
    missed = dues[2]
    expect = [(0, "current", "active"), (1, "1-30", "active"), (30, "1-30", "active"), (31, "31-60", "active"),
              (61, "61-90", "active"), (90, "61-90", "active"), (91, "90+", "problem")]
    for days, bucket, status in expect:
        s = _loan(client, branch_a, loan["id"], missed + timedelta(days=days), clock)
        assert (s["days_past_due"], s["bucket"], s["status"]) == (days, bucket, status), days
    late = missed + timedelta(days=120)
    clock.day = late
    # lists read the stored state, which the close of business brings to the business date
    close_day(settings, engine, late)
    listed = client.get("/v1/loans", headers=branch_a, params={"bucket": "90+", "as_of": str(late)}).json()
    assert [x["id"] for x in listed["items"]] == [loan["id"]]
    # The risk officer's portfolio agrees.
    p = client.get("/v1/managers/M-B01/portfolio", headers=risk, params={"as_of": str(late)}).json()
    assert p["problem_loans"]["count"] == 1 and p["issued"]["count"] == 1 and p["fpd_rate"] == 0.0
    assert p["buckets"]["90+"] == 1 and p["expected_problems"] > 0


def test_partner_loan_first_payment_default(client: TestClient, clock: Clock, managers, partner_a, risk) -> None:
    body = application_body("M-P01", product="pos_installment", amount="45000", term=10, passport="4600 222333")
    loan = to_loan(client, partner_a, risk, body)
    first = date.fromisoformat(loan["schedule"][0]["due_date"])
    assert not _loan(client, partner_a, loan["id"], first + timedelta(days=29), clock)["first_payment_default"]
    s = _loan(client, partner_a, loan["id"], first + timedelta(days=30), clock)
    assert s["first_payment_default"] and s["days_past_due"] == 30
    s = _loan(client, partner_a, loan["id"], first + timedelta(days=91), clock)
    assert s["status"] == "problem" and s["bucket"] == "90+"
    assert Decimal(s["overdue_total"]) == sum(Decimal(i["payment"]) for i in s["schedule"] if date.fromisoformat(i["due_date"]) < first + timedelta(days=91))
    clock.day = first + timedelta(days=91)
    p = client.get("/v1/managers/M-P01/portfolio", headers=risk, params={"as_of": str(first + timedelta(days=91))}).json()
    assert p["fpd_rate"] == 1.0 and p["problem_loans"]["count"] == 1
    assert p["vintages"][0]["fpd_count"] == 1


def test_partial_payment_covers_interest_first_and_surplus_waits_as_advance(
    client: TestClient, clock: Clock, managers, branch_a, risk
) -> None:
    loan = to_loan(client, branch_a, risk, application_body("M-B01", amount="120000", term=12))
    first = loan["schedule"][0]
    clock.day = date.fromisoformat(first["due_date"])
    part = Decimal(first["interest"]) - Decimal("100.00")
    r = client.post(f"/v1/loans/{loan['id']}/payments", headers=branch_a,
                    json={"amount": str(part), "paid_on": first["due_date"]})
    assert r.status_code == 201, r.text
    s = r.json()
    assert s["schedule"][0]["status"] in ("partly_paid", "due") and s["paid_principal"] == "0.00"
    assert Decimal(s["schedule"][0]["paid"]) == part
    assert Decimal(s["paid_interest"]) == part
    assert s["payment"]["allocation"]["interest"] == str(part) and s["payment"]["allocation"]["principal"] == "0.00"
    big = Decimal(first["payment"]) - part + Decimal("50000")
    s = client.post(f"/v1/loans/{loan['id']}/payments", headers=branch_a,
                    json={"amount": str(big), "paid_on": first["due_date"]}).json()
    # cash beyond what is due is no early repayment without the borrower's application
    assert len(s["schedule"]) == 12 and s["schedule"][0]["status"] == "paid"
    assert Decimal(s["advance"]) == Decimal("50000.00") == Decimal(s["payment"]["allocation"]["advance"])
    assert Decimal(s["received_total"]) == part + big
    listed = client.get(f"/v1/loans/{loan['id']}/payments", headers=branch_a).json()
    assert [Decimal(p["amount"]) for p in listed["items"]] == [part, big]
    assert Decimal(listed["advance"]) == Decimal("50000.00")
    # an application applies the advance on its date (30 days' notice on this product)
    r = client.post(f"/v1/loans/{loan['id']}/early-repayments", headers=branch_a,
                    json={"on": first["due_date"], "amount": "50000.00", "mode": "reduce_term"})
    assert r.status_code == 422, r.text
    allowed = r.json()["first_allowed"]
    assert allowed == str(clock.day + timedelta(days=30))
    r = client.post(f"/v1/loans/{loan['id']}/early-repayments", headers=branch_a,
                    json={"on": allowed, "amount": "50000.00", "mode": "reduce_term"})
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["early_repayment"]["status"] == "pending" and out["early_repayment"]["revision"] == 1
    assert [v["reason"] for v in out["loan"]["revisions"]] == ["contract", "early_repayment"]
    assert out["loan"]["revisions"][1]["psk_percent"] is not None and len(out["loan"]["schedule"]) < 12
    s = _loan(client, branch_a, loan["id"], date.fromisoformat(allowed), clock)
    assert s["early_repayments"][0]["status"] == "executed"
    assert len(s["schedule"]) < 12, "the early repayment shortens the term"
    assert Decimal(s["advance"]) < Decimal("50000.00")


def test_a_payment_beyond_the_payoff_is_refused(client: TestClient, clock: Clock, managers, branch_a, risk) -> None:
    loan = to_loan(client, branch_a, risk, application_body("M-B01", amount="100000", term=12))
    payoff = client.get(f"/v1/loans/{loan['id']}/payoff", headers=branch_a).json()
    assert Decimal(payoff["total"]) == Decimal("100000.00") == Decimal(payoff["to_pay"])
    r = client.post(f"/v1/loans/{loan['id']}/payments", headers=branch_a,
                    json={"amount": "100000.01", "paid_on": str(clock.day)})
    assert r.status_code == 422 and r.json()["payoff"] == "100000.00" and "100000.00" in r.json()["detail"]
    assert client.get(f"/v1/loans/{loan['id']}/payments", headers=branch_a).json()["items"] == []


def test_payments_are_validated(client: TestClient, clock: Clock, managers, branch_a, branch_b, risk) -> None:
    loan = to_loan(client, branch_a, risk, application_body("M-B01", amount="100000", term=12))
    future = str(clock.day + timedelta(days=3))
    r = client.post(f"/v1/loans/{loan['id']}/payments", headers=branch_a, json={"amount": "100", "paid_on": future})
    assert r.status_code == 422
    r = client.post(f"/v1/loans/{loan['id']}/payments", headers=branch_a, json={"amount": "-1", "paid_on": str(clock.day)})
    assert r.status_code == 422
    r = client.post(f"/v1/loans/{loan['id']}/payments", headers=branch_b, json={"amount": "100", "paid_on": str(clock.day)})
    assert r.status_code == 404
    assert client.get(f"/v1/loans/{loan['id']}", headers=branch_b).status_code == 404
    assert client.get("/v1/loans", headers=branch_b).json()["items"] == []
    assert client.get("/v1/reminders", headers=branch_b, params={"within_days": 60}).json()["items"] == []
    r = client.get(f"/v1/loans/{loan['id']}", headers=branch_a, params={"as_of": "2000-01-01"})
    assert r.status_code == 422


def test_risk_routes_refuse_branches_and_partners(client: TestClient, managers, branch_a, partner_a, risk, admin) -> None:
    for who in (branch_a, partner_a):
        assert client.get("/v1/managers/M-B01/portfolio", headers=who).status_code == 403
        assert client.get("/v1/risk/manager-flags", headers=who).status_code == 403
        assert client.put("/v1/managers/M-B01/plan", headers=who, json={"period": "2026-11", "volume": "1"}).status_code == 403
    empty = client.get("/v1/managers/M-B01/portfolio", headers=risk).json()
    assert empty["issued"] == {"count": 0, "volume": "0.00"} and empty["fpd_rate"] is None
    assert empty["observed_to_expected"] is None and empty["vintages"] == []
    assert client.get("/v1/managers/NOPE/portfolio", headers=admin).status_code == 404
    flags = client.get("/v1/risk/manager-flags", headers=admin).json()
    assert flags["flagged"] == [] and flags["managers_tested"] == 0


def test_plan_fulfilment(client: TestClient, clock: Clock, managers, branch_a, risk) -> None:
    to_loan(client, branch_a, risk, application_body("M-B01", amount="150000", term=12))
    period = clock.day.strftime("%Y-%m")
    r = client.put("/v1/managers/M-B01/plan", headers=risk, json={"period": period, "volume": "100000"})
    assert r.status_code == 200, r.text
    assert r.json() == [{"period": period, "volume": "100000.00", "issued": "150000.00", "fulfilment": "1.5000"}]
    r = client.put("/v1/managers/M-B01/plan", headers=risk, json={"period": "2026-13", "volume": "1"})
    assert r.status_code == 422
