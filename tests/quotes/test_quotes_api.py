"""Quotes, affordability, early repayment and offers through the HTTP API."""

from __future__ import annotations

from decimal import Decimal

import numpy_financial as npf
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

BASE = {"amount": "300000", "annual_rate": "18.9", "term_months": 24, "issue_date": "2026-01-31"}


def test_quote_annuity_matches_numpy_financial_and_sums(client: TestClient, branch_a) -> None:
    r = client.post("/v1/quotes", headers=branch_a, json=BASE)
    assert r.status_code == 200, r.text
    q = r.json()
    expected = Decimal(str(round(-npf.pmt(0.189 / 12, 24, 300000), 2)))
    assert Decimal(q["regular_payment"]) == expected
    rows = q["payments"]
    assert len(rows) == 24
    assert rows[0]["date"] == "2026-02-28" and rows[1]["date"] == "2026-03-31"
    assert sum(Decimal(p["principal"]) for p in rows) == Decimal("300000.00")
    assert rows[-1]["balance"] == "0.00"
    assert all(Decimal(p["payment"]) == Decimal(p["principal"]) + Decimal(p["interest"]) + Decimal(p["fee"])
               for p in rows)
    assert q["psk_percent"] == "18.900"
    assert Decimal(q["psk_amount"]) == Decimal(q["total_payments"]) - Decimal("300000")
    # Money travels as strings with 2 places.
    assert isinstance(q["total_interest"], str) and q["total_interest"].count(".") == 1


def test_fees_and_grace_raise_the_psk(client: TestClient, partner_a) -> None:
    plain = client.post("/v1/quotes", headers=partner_a, json=BASE).json()
    fees = client.post("/v1/quotes", headers=partner_a,
                       json=BASE | {"upfront_fee": "3000", "monthly_fee": "199"}).json()
    assert Decimal(fees["psk_percent"]) > Decimal(plain["psk_percent"])
    assert fees["payments"][0]["fee"] == "199.00"


def test_differentiated_has_no_regular_payment(client: TestClient, risk) -> None:
    q = client.post("/v1/quotes", headers=risk, json=BASE | {"method": "differentiated",
                                                          "day_count": "actual/365"}).json()
    assert q["regular_payment"] is None
    payments = [Decimal(p["payment"]) for p in q["payments"]]
    assert payments[0] > payments[-1]


@pytest.mark.parametrize("patch", [
    {"amount": "-5"}, {"amount": "0"}, {"term_months": 0}, {"grace_months": 24},
    {"method": "balloon"}, {"annual_rate": "abc"}, {"annual_rate": "NaN"},
    {"amount": "1e400"}, {"term_months": 10**12}, {"issue_date": "2026-02-30"},
    {"amount": "100.001"}, {"day_count": "30E/360"}, {"unknown_field": 1},
])
def test_bad_quote_input_is_422_problem(client: TestClient, admin, patch) -> None:
    r = client.post("/v1/quotes", headers=admin, json=BASE | patch)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")


def test_max_amount_is_the_largest_affordable(client: TestClient, branch_a) -> None:
    body = {"monthly_income": "120000", "monthly_debt_payments": "15000", "annual_rate": "20",
            "term_months": 36, "pdn_limit": "0.5"}
    r = client.post("/v1/quotes/max-amount", headers=branch_a, json=body)
    assert r.status_code == 200, r.text
    m = r.json()
    assert Decimal(m["pdn"]) <= Decimal("0.5")
    one_more = Decimal(m["max_amount"]) + Decimal("0.01")
    q = client.post("/v1/quotes", headers=branch_a, json={
        "amount": str(one_more), "annual_rate": "20", "term_months": 36}).json()
    assert (Decimal("15000") + Decimal(q["regular_payment"])) / Decimal("120000") > Decimal("0.5")


def test_max_amount_clamps_to_the_product(client: TestClient, branch_a) -> None:
    body = {"monthly_income": "5000000", "monthly_debt_payments": "0", "term_months": 60,
            "product_code": "consumer"}
    m = client.post("/v1/quotes/max-amount", headers=branch_a, json=body).json()
    assert m["max_amount"] == "5000000.00" and m["annual_rate"] == "27.9"
    r = client.post("/v1/quotes/max-amount", headers=branch_a, json=body | {"product_code": "nope"})
    assert r.status_code == 404
    r = client.post("/v1/quotes/max-amount", headers=branch_a, json=body | {"term_months": 360})
    assert r.status_code == 422


def test_early_repayment_shortens_the_term(client: TestClient, branch_a) -> None:
    body = {"terms": BASE, "date": "2026-06-15", "amount": "100000", "mode": "reduce_term"}
    r = client.post("/v1/quotes/early-repayment", headers=branch_a, json=body)
    assert r.status_code == 200, r.text
    rows = r.json()["payments"]
    assert rows[0]["date"] == "2026-06-15" and rows[-1]["balance"] == "0.00"
    assert len(rows) - 1 < 24 - 4
    r = client.post("/v1/quotes/early-repayment", headers=branch_a,
                    json=body | {"mode": "reduce_payment"})
    assert r.status_code == 200
    assert Decimal(r.json()["regular_payment"]) < Decimal(
        client.post("/v1/quotes", headers=branch_a, json=BASE).json()["regular_payment"])


def test_offers_rank_by_psk_and_explain_ineligibility(client: TestClient, partner_a, branch_a) -> None:
    body = {"borrower": {"birth_date": "1990-05-01", "monthly_income": "90000",
                         "monthly_debt_payments": "5000"},
            "wish": {"amount": "150000", "term_months": 12}}
    offers = client.post("/v1/offers", headers=partner_a, json=body).json()
    by_code = {o["product_code"]: o for o in offers}
    assert by_code["pos_installment"]["eligible"] is True
    assert any(r.startswith("channel") for r in by_code["consumer"]["reasons"])
    eligible = [o for o in offers if o["eligible"]]
    assert [o["psk_percent"] for o in eligible] == sorted(o["psk_percent"] for o in eligible)
    assert offers.index(eligible[-1]) < len(eligible)
    branch = {o["product_code"]: o for o in client.post("/v1/offers", headers=branch_a, json=body).json()}
    assert branch["consumer"]["eligible"] is True and branch["pos_installment"]["eligible"] is False
    young = body | {"borrower": body["borrower"] | {"birth_date": "2007-01-01"}}
    res = {o["product_code"]: o for o in client.post("/v1/offers", headers=branch_a, json=young).json()}
    assert any(r.startswith("age") for r in res["consumer"]["reasons"])


def test_api_enums_mirror_the_loan_maths_core() -> None:
    """schemas/ may not import app/, so the enums are declared twice; they must agree."""
    from app import loanmath
    from schemas import quotes

    for api, core in ((quotes.Method, loanmath.Method), (quotes.DayCount, loanmath.DayCount),
                      (quotes.EarlyRepaymentMode, loanmath.EarlyRepaymentMode)):
        assert [m.value for m in api] == [m.value for m in core]


def _pointers(r) -> list[str]:
    return [e.get("pointer") for e in r.json().get("errors", [])]


def test_a_schedule_past_9999_is_422_pointing_at_issue_date(client: TestClient, branch_a) -> None:
    # issue_date 9999-01-01 + 24 months is past date.max: both routes answered 500 (ValueError)
    late = BASE | {"issue_date": "9999-01-01"}
    r = client.post("/v1/quotes", headers=branch_a, json=late)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert _pointers(r) == ["#/issue_date"] and "9999-12-31" in r.json()["detail"]
    r = client.post("/v1/quotes/early-repayment", headers=branch_a,
                    json={"terms": late, "date": "9999-06-01", "amount": "1000"})
    assert r.status_code == 422, r.text
    assert _pointers(r) == ["#/terms/issue_date"] and "9999-12-31" in r.json()["detail"]
    ok = client.post("/v1/quotes", headers=branch_a, json=BASE | {"issue_date": "9997-12-31"})
    assert ok.status_code == 200 and ok.json()["payments"][-1]["date"] == "9999-12-31"


def test_early_repayment_refusals_point_at_the_field(client: TestClient, branch_a) -> None:
    body = {"terms": BASE, "date": "2030-06-15", "amount": "100000"}
    r = client.post("/v1/quotes/early-repayment", headers=branch_a, json=body)
    assert r.status_code == 422 and _pointers(r) == ["#/date"]
    r = client.post("/v1/quotes/early-repayment", headers=branch_a, json=body | {"date": "2026-06-15",
                                                                                "amount": "900000"})
    assert r.status_code == 422 and _pointers(r) == ["#/amount"]


@pytest.mark.parametrize(("body", "expected"), [
    # income 10^12, 0 %, 600 months, limit 100: the search ran past the 10^12 cap to
    # 60,000,000,000,000,002.99, which the response's money type refused (500)
    ({"monthly_income": "1000000000000", "monthly_debt_payments": "0", "annual_rate": "0",
      "term_months": 600, "pdn_limit": "100"},
     {"max_amount": "1000000000000.00", "regular_payment": "1666666666.67", "pdn": "0.0017"}),
    # a 10^12 loan at 100 % over one month: its instalment carries interest beyond 10^12
    ({"monthly_income": "1000000000000", "monthly_debt_payments": "0", "annual_rate": "100",
      "term_months": 1, "pdn_limit": "100"},
     {"max_amount": "1000000000000.00", "regular_payment": "1083333333333.33", "pdn": "1.0833"}),
    # debts 10^14 times the income: nothing is affordable and the PDN is far above 100
    ({"monthly_income": "0.01", "monthly_debt_payments": "1000000000000", "annual_rate": "10",
      "term_months": 12, "pdn_limit": "0.5"},
     {"max_amount": "0.00", "regular_payment": "0.00", "pdn": "100000000000000"}),
])
def test_max_amount_at_the_contract_extremes_is_200(client: TestClient, branch_a, body, expected) -> None:
    r = client.post("/v1/quotes/max-amount", headers=branch_a, json=body)
    assert r.status_code == 200, r.text
    assert {k: r.json()[k] for k in expected} == expected


# Hypothesis over the whole contract of the three quote endpoints: every body the request
# schemas allow (and some they do not) is answered 200 or a 422 problem, never 5xx.
_money = st.one_of(st.integers(1, 10**14), st.just(10**14)).map(lambda k: str(Decimal(k).scaleb(-2)))
_money0 = st.one_of(st.just("0"), _money)
_rate = st.integers(0, 1_000_000).map(lambda k: str(Decimal(k).scaleb(-4)))
_day = st.dates().map(lambda d: d.isoformat())
_FUZZ = settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])


@st.composite
def _quote_bodies(draw: st.DrawFn) -> dict[str, object]:
    n = draw(st.integers(1, 600))
    return {"amount": draw(_money), "annual_rate": draw(_rate), "term_months": n, "issue_date": draw(_day),
            "method": draw(st.sampled_from(["annuity", "differentiated"])),
            "day_count": draw(st.sampled_from(["30/360", "actual/365"])),
            "upfront_fee": draw(_money0), "monthly_fee": draw(_money0),
            "grace_months": draw(st.one_of(st.just(0), st.integers(0, n)))}


def _200_or_422(r) -> None:
    assert r.status_code in (200, 422), r.text
    if r.status_code == 422:
        assert r.headers["content-type"].startswith("application/problem+json")


@_FUZZ
@given(body=_quote_bodies())
def test_any_quote_is_200_or_422(client: TestClient, admin, body) -> None:
    _200_or_422(client.post("/v1/quotes", headers=admin, json=body))


@_FUZZ
@given(terms=_quote_bodies(), day=_day, cash=_money, mode=st.sampled_from(["reduce_term", "reduce_payment"]))
def test_any_early_repayment_is_200_or_422(client: TestClient, admin, terms, day, cash, mode) -> None:
    body = {"terms": terms, "date": day, "amount": cash, "mode": mode}
    _200_or_422(client.post("/v1/quotes/early-repayment", headers=admin, json=body))


@_FUZZ
@given(income=_money, debts=_money0, rate=_rate, n=st.integers(1, 600),
       limit=st.integers(1, 1_000_000).map(lambda k: str(Decimal(k).scaleb(-4))),
       product=st.sampled_from([None, "consumer", "pos_installment"]))
def test_any_max_amount_is_200_or_422(client: TestClient, admin, income, debts, rate, n, limit, product) -> None:
    body = {"monthly_income": income, "monthly_debt_payments": debts, "annual_rate": rate, "term_months": n,
            "pdn_limit": limit} | ({"product_code": product} if product else {})
    _200_or_422(client.post("/v1/quotes/max-amount", headers=admin, json=body))
