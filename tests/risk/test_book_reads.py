"""Portfolio, flags and manager pages read the one engine's state: the stored state on the
business date (rolled forward where the close has not run), the month-end snapshot, or a
replay; all three agree with the loan API loan by loan, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from app.loans.close_of_business import close_day
from tests.factories import Clock, add_manager, application_body, to_loan
from tests.risk.support import last_day


def advance(clock: Clock, settings, engine, to: date) -> None:
    """Move the business date to ``to`` the way a bank does: the day before is closed first
    (which closes every month end in between)."""
    if to > clock.day:
        close_day(settings, engine, to - timedelta(days=1))
        clock.day = to


@pytest.fixture
def book(client: TestClient, clock: Clock, admin, branch_a, partner_a, risk, settings, engine) -> list[dict]:
    """Six loans of two managers: some repaid on time, one paid its first instalment plus
    60,000 (the case where the old re-derivation disagreed with the engine), some never paid."""
    add_manager(client, admin, "M-B01", branch="B01", segment="mass")
    add_manager(client, admin, "M-P01", partner="P01", segment="pos")
    add_manager(client, admin, "M-B02", branch="B02", segment="mass")  # no loans: insufficient data
    loans = []
    for k in range(3):
        loans.append(to_loan(client, branch_a, risk, application_body("M-B01", amount="240000", term=12,
                                                                    passport=f"4510 10000{k}")))
        loans.append(to_loan(client, partner_a, risk, application_body(
            "M-P01", product="pos_installment", amount="45000", term=10, passport=f"4600 20000{k}")))
    paid = {loans[0]["id"]: 4, loans[1]["id"]: 1}
    for loan in loans:
        for i in range(paid.get(loan["id"], 0)):
            due = date.fromisoformat(loan["schedule"][i]["due_date"])
            advance(clock, settings, engine, due)
            r = client.post(f"/v1/loans/{loan['id']}/payments", headers=branch_a if loan["manager_id"] == "M-B01"
                            else partner_a, json={"amount": loan["schedule"][i]["payment"], "paid_on": str(due)})
            assert r.status_code == 201, r.text
    first = loans[2]["schedule"][0]
    advance(clock, settings, engine, date.fromisoformat(first["due_date"]))
    amount = Decimal(first["payment"]) + Decimal("60000")
    r = client.post(f"/v1/loans/{loans[2]['id']}/payments", headers=branch_a,
                    json={"amount": str(amount), "paid_on": first["due_date"]})
    assert r.status_code == 201, r.text
    return loans


def _engine_buckets(client: TestClient, risk, loans: list[dict], manager: str, as_of: date) -> Counter[str]:
    out: Counter[str] = Counter()
    for loan in loans:
        if loan["manager_id"] != manager:
            continue
        s = client.get(f"/v1/loans/{loan['id']}", headers=risk, params={"as_of": str(as_of)}).json()
        if s["status"] != "closed":
            out[s["bucket"]] += 1
    return out


def _portfolio(client: TestClient, risk, manager: str, as_of: date) -> dict:
    r = client.get(f"/v1/managers/{manager}/portfolio", headers=risk, params={"as_of": str(as_of)})
    assert r.status_code == 200, r.text
    return r.json()


def test_every_source_agrees_with_the_engine(client: TestClient, clock: Clock, book, risk, settings, engine) -> None:
    start = clock.day
    ends = [last_day(start)]
    for _ in range(4):
        ends.append(last_day(ends[-1] + timedelta(days=1)))
    advance(clock, settings, engine, ends[-1] + timedelta(days=1))
    late = ends[-1] + timedelta(days=40)
    clock.day = late
    # the business date 40 days after the last close: the stored state, rolled forward or replayed
    for manager in ("M-B01", "M-P01"):
        p = _portfolio(client, risk, manager, late)
        assert p["source"] == "stored"
        want = _engine_buckets(client, risk, book, manager, late)
        assert {k: v for k, v in p["buckets"].items() if v} == dict(want), manager
    close_day(settings, engine, late)
    for manager in ("M-B01", "M-P01"):
        p = _portfolio(client, risk, manager, late)
        want = _engine_buckets(client, risk, book, manager, late)
        assert {k: v for k, v in p["buckets"].items() if v} == dict(want), manager
        for end in ends:  # a closed month end reads its snapshot; the loan API replays
            p = _portfolio(client, risk, manager, end)
            assert p["source"] == "snapshot"
            want = _engine_buckets(client, risk, book, manager, end)
            assert {k: v for k, v in p["buckets"].items() if v} == dict(want), (manager, end)
        mid = ends[2] - timedelta(days=9)  # neither: every loan replayed
        p = _portfolio(client, risk, manager, mid)
        assert p["source"] == "replay"
        assert {k: v for k, v in p["buckets"].items() if v} == dict(_engine_buckets(client, risk, book, manager, mid))
    assert _portfolio(client, risk, "M-P01", late)["problem_loans"]["count"] == 3  # paid one instalment or none
    snap = client.get("/v1/risk/manager-flags", headers=risk, params={"as_of": str(ends[-1])}).json()
    assert snap["source"] == "snapshot"


def test_the_day_after_a_close_reads_stored_state_without_replays(
    client: TestClient, clock: Clock, book, risk, settings, engine
) -> None:
    """Business dates one day past the close, across an instalment's due date: the stored state
    moved by the law equals the engine, and no loan needs a replay."""
    from app.core.db import transaction
    from app.risk.loan_facts import loan_cells

    due = date.fromisoformat(book[3]["schedule"][4]["due_date"])  # an unpaid POS loan's instalment
    for day in (due - timedelta(days=1), due, due + timedelta(days=1)):
        advance(clock, settings, engine, day)
        with transaction(engine) as session:
            assert loan_cells(session, as_of=day, business_date=day).replayed == 0
        for manager in ("M-B01", "M-P01"):
            p = _portfolio(client, risk, manager, day)
            want = _engine_buckets(client, risk, book, manager, day)
            assert {k: v for k, v in p["buckets"].items() if v} == dict(want), (manager, day)


def test_every_manager_is_listed_filtered_sorted_and_paged(client: TestClient, clock: Clock, book, risk,
                                                           settings, engine) -> None:
    advance(clock, settings, engine, clock.day + timedelta(days=200))
    r = client.get("/v1/risk/manager-flags", headers=risk)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["as_of"] == str(clock.day) and body["source"] == "stored"
    items = {i["manager_id"]: i for i in body["items"]}
    assert set(items) == {"M-B01", "M-P01", "M-B02"}
    assert items["M-B02"]["status"] == "insufficient_data" and "insufficient data" in items["M-B02"]["reason"]
    for item in items.values():
        assert item["status"] in ("flagged", "within_limits", "insufficient_data")
        for key in ("loans", "observed", "expected", "ratio", "p_value", "q_value", "lower_95", "upper_95",
                    "decision_limit", "fpd_observed", "fpd_expected", "plan_fulfilment", "segment"):
            assert key in item
    assert items["M-P01"]["observed"] == 3 and items["M-P01"]["segment"] == "pos"
    assert sum(body["counts"].values()) == 3
    pos = client.get("/v1/risk/manager-flags", headers=risk, params={"segment": "pos"}).json()
    assert [i["manager_id"] for i in pos["items"]] == ["M-P01"]
    b01 = client.get("/v1/risk/manager-flags", headers=risk, params={"branch_id": "B01"}).json()
    assert [i["manager_id"] for i in b01["items"]] == ["M-B01"]
    p01 = client.get("/v1/risk/manager-flags", headers=risk, params={"partner_id": "P01"}).json()
    assert [i["manager_id"] for i in p01["items"]] == ["M-P01"]
    none = client.get("/v1/risk/manager-flags", headers=risk, params={"status": "insufficient_data"}).json()
    assert [i["manager_id"] for i in none["items"]] == ["M-B02"]
    by_loans = client.get("/v1/risk/manager-flags", headers=risk, params={"sort": "-loans"}).json()["items"]
    assert [i["loans"] for i in by_loans] == sorted((i["loans"] for i in by_loans), reverse=True)
    seen, cursor = [], None
    while True:
        params = {"limit": 1, "sort": "manager_id"} | ({"cursor": cursor} if cursor else {})
        page = client.get("/v1/risk/manager-flags", headers=risk, params=params).json()
        seen += [i["manager_id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == ["M-B01", "M-B02", "M-P01"]
    r = client.get("/v1/risk/manager-flags", headers=risk, params={"cursor": "bm9wZQ"})
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    r = client.get("/v1/risk/manager-flags", headers=risk | {"Accept": "text/csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert {row["manager_id"] for row in rows} == {"M-B01", "M-P01", "M-B02"}
    assert {row["status"] for row in rows} <= {"flagged", "within_limits", "insufficient_data"}


def test_manager_page_draws_its_history(client: TestClient, clock: Clock, book, risk, settings, engine) -> None:
    period = clock.day.strftime("%Y-%m")
    assert client.put("/v1/managers/M-P01/plan", headers=risk, json={"period": period, "volume": "100000"}).status_code == 200
    end = clock.day
    for _ in range(5):
        end = last_day(end + timedelta(days=1))
    advance(clock, settings, engine, end + timedelta(days=1))
    close_day(settings, engine, end + timedelta(days=1))
    page = client.get("/dashboard/managers/M-P01", headers=risk)
    assert page.status_code == 200, page.text
    html = page.text
    assert html.count('class="series"') >= 1, "a vintage curve"
    assert "Open loans by bucket at each month end" in html and html.count("<rect") >= 5
    assert "Plan against issued" in html and "Roll rates" in html
    assert all(f'href="/v1/loans/{loan["id"]}' in html for loan in book if loan["manager_id"] == "M-P01")
    assert f'<option value="{end}">{end} (month end)' in html
    overview = client.get("/dashboard", headers=risk, params={"segment": "pos"})
    assert overview.status_code == 200 and "M-P01" in overview.text and 'id="m-M-B01"' not in overview.text
