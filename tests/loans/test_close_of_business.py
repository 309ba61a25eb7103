"""The close of business keeps the stored state equal to a fresh replay, field by field, on
SQLite and PostgreSQL; it is idempotent, and a second close of the same date changes nothing."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app.core.clock import today
from app.core.config import Settings
from app.loans.close_of_business import STATE_COLUMNS, close_day, crossings, pass_dates
from app.loans.history import state_of
from app.loans.table import LoanRow
from app.servicing import book_state
from tests.factories import Clock, add_manager, application_body, to_loan


@pytest.fixture
def managers(client: TestClient, admin: dict[str, str]) -> None:
    add_manager(client, admin, "M-B01", branch="B01", segment="mass")


def _stored_equals_replay(engine: Engine) -> int:
    """Every loan's stored columns equal its replay to its state date; returns how many."""
    with Session(engine) as session:
        loans = session.exec(select(LoanRow)).all()
        for loan in loans:
            fresh = book_state(state_of(session, loan, as_of=loan.state_date)).columns()
            stored = {name: getattr(loan, name) for name in STATE_COLUMNS}
            assert stored == fresh, loan.id
        return len(loans)


def _table(engine: Engine, sql: str) -> list[Any]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql)).all()]


def test_pass_dates_close_each_month_end_of_a_gap() -> None:
    assert pass_dates(None, date(2026, 3, 10)) == [date(2026, 3, 10)]
    assert pass_dates(date(2026, 3, 10), date(2026, 3, 10)) == []
    assert pass_dates(date(2026, 1, 20), date(2026, 3, 10)) == [date(2026, 1, 31), date(2026, 2, 28),
                                                                date(2026, 3, 10)]


def test_a_loan_sliding_two_buckets_records_each_crossing_on_its_day() -> None:
    from dataclasses import replace

    from app.servicing import History, Terms, replay
    from tests.servicing.strategies import schedule_of

    terms = Terms(amount=Decimal("12000.00"), annual_rate=Decimal("12"), issue_date=date(2026, 1, 10))
    schedule = schedule_of(terms, 6)
    first = schedule[0].due_date
    before = book_state(replay(terms, schedule, History(), as_of=first + timedelta(days=10)))
    after = replace(before, state_date=first + timedelta(days=45), bucket="31-60", days_past_due=45)
    assert list(crossings(before, after)) == [(first + timedelta(days=31), "1-30", "31-60")]


def test_close_of_business_is_idempotent_and_equals_replay(
    client: TestClient, clock: Clock, managers: None, branch_a: dict[str, str], risk: dict[str, str],
    settings: Settings, engine: Engine,
) -> None:
    loans = [to_loan(client, branch_a, risk, application_body("M-B01", amount=a, term=12,
                                                               passport=f"4510 12345{k}"))
             for k, a in enumerate(("60000", "90000", "120000"))]
    # the first loan pays its first instalment on time, the second pays part, the third nothing
    first_due = date.fromisoformat(loans[0]["schedule"][0]["due_date"])
    clock.day = first_due
    for loan, share in zip(loans, (Decimal(1), Decimal("0.4")), strict=False):
        amount = (Decimal(loan["schedule"][0]["payment"]) * share).quantize(Decimal("0.01"))
        r = client.post(f"/v1/loans/{loan['id']}/payments", headers=branch_a,
                        json={"amount": str(amount), "paid_on": str(first_due)})
        assert r.status_code == 201, r.text
    # close a gap that spans a month end, then close again
    day = first_due + timedelta(days=70)
    clock.day = day
    summary = close_day(settings, engine, day)
    assert summary.dates[-1] == day and summary.loans > 0
    assert _stored_equals_replay(engine) == 3
    snapshot = _table(engine, "SELECT * FROM loan ORDER BY id")
    transitions = _table(engine, 'SELECT loan_id, "on", from_bucket, to_bucket FROM loan_bucket_transition '
                                 'ORDER BY loan_id, "on", to_bucket')
    month_ends = _table(engine, "SELECT month_end, loan_id, bucket FROM loan_month_end ORDER BY 1, 2")
    assert month_ends and {m[1] for m in month_ends} == {loan["id"] for loan in loans}
    # the loan that paid nothing crossed current -> 1-30 -> 31-60 -> 61-90 on the days it did
    third = [t for t in transitions if t[0] == loans[2]["id"]]
    assert [t[3] for t in third] == ["1-30", "31-60", "61-90"]
    assert [date.fromisoformat(str(t[1])) - first_due for t in third] == [timedelta(days=d) for d in (1, 31, 61)]
    again = close_day(settings, engine, day)
    assert again.already_closed and again.loans == 0
    assert _table(engine, "SELECT * FROM loan ORDER BY id") == snapshot
    assert len(_table(engine, "SELECT * FROM loan_bucket_transition")) == len(transitions)
    # the API reads the stored state: the overdue list and the business date
    overdue = client.get("/v1/loans", headers=branch_a, params={"overdue": "true"}).json()["items"]
    assert {x["id"]: x["days_past_due"] for x in overdue} == {  # the first paid its first instalment only
        loans[0]["id"]: (day - date.fromisoformat(loans[0]["schedule"][1]["due_date"])).days,
        loans[1]["id"]: 70, loans[2]["id"]: 70}
    assert all(x["state_date"] == str(day) for x in overdue)
    assert client.get("/v1/business-date", headers=branch_a).json() == {
        "business_date": str(day), "closed_through": str(day)}


@settings(max_examples=6, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=st.lists(st.tuples(st.integers(1, 40), st.integers(0, 150), st.booleans()), min_size=1, max_size=5))
def test_stored_state_equals_a_fresh_replay_after_random_histories(
    client: TestClient, app: FastAPI, managers_once: None, branch_a: dict[str, str], risk: dict[str, str],
    settings: Settings, engine: Engine, steps: list[tuple[int, int, bool]],
) -> None:
    """Any payments on any dates (as a share of an instalment, up to the payoff), closes of
    business in between or not: the stored state equals the replay, field by field."""
    clock = Clock(today())
    app.state.clock = clock
    n = _table(engine, "SELECT count(*) FROM loan")[0][0]
    loan = to_loan(client, branch_a, risk, application_body("M-B01", amount="80000", term=12,
                                                           passport=f"4511 {200000 + n:06d}"))
    instalment = Decimal(loan["schedule"][0]["payment"])
    with Session(engine) as session:
        last = session.exec(text("SELECT closed_through FROM book_date")).first()  # type: ignore[call-overload]
    clock.day = max(clock.day, date.fromisoformat(str(last[0])) if last else clock.day)
    for days, percent, close in steps:
        clock.day += timedelta(days=days)
        if close:
            close_day(settings, engine, clock.day)
        amount = (instalment * percent / 100).quantize(Decimal("0.01"))
        if amount > 0:
            r = client.post(f"/v1/loans/{loan['id']}/payments", headers=branch_a,
                            json={"amount": str(amount), "paid_on": str(clock.day)})
            assert r.status_code in (201, 409, 422), r.text
    close_day(settings, engine, clock.day)
    _stored_equals_replay(engine)


@pytest.fixture
def managers_once(client: TestClient, admin: dict[str, str]) -> None:
    if client.get("/v1/managers/M-B01", headers=admin).status_code == 404:
        add_manager(client, admin, "M-B01", branch="B01", segment="mass")
