"""Hostile input: every operation of ``openapi.yaml``, one hostile value at a time.

Every operation is sent a valid request first (the *baseline*, built from seeded data: real
application, loan, manager and product ids in the state the operation starts from, with a
key of a role the operation admits), then the same request with ONE body field or ONE
path/query parameter replaced by a value of the corpus (:data:`CORPUS`): NUL inside a
string, a lone surrogate (sent as the JSON escape ``\\ud800``, or ``%ED%A0%80`` in a URL),
10,000-character strings, huge and tiny numbers, numbers as strings in exotic digits,
the first and last ISO dates, and wrong types (list, object, bool, null). Fields are taken
from the contract, so a new field or operation is fuzzed without touching this file.

Each request goes to a real uvicorn server on a free port over one keep-alive
``httpx.Client``, as a front-end's would. For each, the test asserts:

- the status is 2xx or 4xx, never 5xx (the failure names the server-side exception and
  where it was raised, read from the ``app.errors`` log record);
- a 4xx is ``application/problem+json`` with ``type``, ``title``, ``status`` (equal to the
  HTTP status) and ``detail`` (the dashboard's HTML 401/403/404, which the contract
  documents as ``text/html``, are accepted as HTML);
- the same client then gets ``GET /healthz`` answered on the SAME connection (uvicorn
  closes a keep-alive connection after an unhandled exception, so the next request of a
  client racing the close is reset: see :func:`test_keep_alive_connection_survives_a_500`).

Each case runs on a copy of a seeded database as seeded (a file copy on SQLite, ``CREATE
DATABASE ... TEMPLATE`` on PostgreSQL): a copy is reused only while every request it saw
was refused (4xx) or only read, so an accepted hostile request cannot change what the next
case sees.

Known failures are marked ``xfail(strict=True)`` per (backend, operation, field, value) in
:data:`KNOWN`; fixing one turns its case into an XPASS, which strict mode reports as a
failure until the entry is removed. Known cases always run.

Running::

    .venv/bin/pytest tests/reliability/test_hostile_input.py            # sampled corpus
    LOANS_HOSTILE_FULL=1 .venv/bin/pytest tests/reliability/test_hostile_input.py -n 4
    LOANS_TEST_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:5432/hostile_tpl ...

By default every field of every operation gets a deterministic sample of the corpus, at
least three values per field and every value at least once per operation (about a
quarter of the cases); ``LOANS_HOSTILE_FULL=1`` sends the full corpus to every field.
"""

from __future__ import annotations

import contextlib
import copy
import itertools
import json
import logging
import math
import os
import shutil
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import yaml
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.pool import NullPool

from app.apikeys import service as keys_service
from app.core.clock import today
from app.core.config import Settings
from app.core.db import transaction
from app.core.security import api_routes, route_roles
from app.main import create_app
from schemas.identity import Role
from tests.factories import application_body
from tests.reliability.support import REPO, ErrorLog, seed_states, seed_world, serve_in_thread

pytestmark = pytest.mark.slow

FULL = os.environ.get("LOANS_HOSTILE_FULL") == "1"
REPORT = os.environ.get("LOANS_HOSTILE_REPORT")
CONTRACT: dict[str, Any] = yaml.safe_load((REPO / "openapi.yaml").read_text())
COMPONENTS: dict[str, Any] = CONTRACT["components"]["schemas"]
METHODS = ("get", "put", "post", "delete", "patch")

# ---------------------------------------------------------------------------------------
# The corpus
# ---------------------------------------------------------------------------------------


def _inside(char: str) -> Callable[[Any], Any]:
    """The baseline value with ``char`` in its middle (a plausible string otherwise)."""

    def build(baseline: Any) -> Any:
        s = baseline if isinstance(baseline, str) and baseline else "ab"
        k = max(1, len(s) // 2)
        return s[:k] + char + s[k:]

    return build


def _const(value: Any) -> Callable[[Any], Any]:
    return lambda _baseline: copy.deepcopy(value)


CORPUS: dict[str, Callable[[Any], Any]] = {
    "nul": _inside("\x00"),
    "lone_surrogate": _inside("\ud800"),
    "long_letters": _const("x" * 10_000),
    "long_digits": _const("9" * 10_000),
    "1e308": _const(1e308),
    "-1e308": _const(-1e308),
    "1e-308": _const(1e-308),
    "10**30": _const(10**30),
    "int32_overflow": _const(2**31),  # one past a 32-bit column
    "int64_max": _const(2**63 - 1),  # the largest id the contract admits
    "-1": _const(-1),
    "0": _const(0),
    "money_0.01": _const("0.01"),
    "money_1.00": _const("1.00"),
    "arabic_digits": _const("١٢٣"),
    "fullwidth_digits": _const("１２３"),
    "underscore_digits": _const("1_000"),
    "leading_space": _const(" 1000"),
    "exponent_string": _const("1e3"),
    "date_0001-01-01": _const("0001-01-01"),
    "date_9999-12-31": _const("9999-12-31"),
    "list": _const([1, 2]),
    "object": _const({"a": 1}),
    "bool": _const(True),
    "null": _const(None),
}
VALUES = list(CORPUS)

# ---------------------------------------------------------------------------------------
# Operations, their fields and their baselines
# ---------------------------------------------------------------------------------------


# The dashboard's sign-in and sign-out take HTML forms with a CSRF token, not JSON;
# tests/test_dashboard.py drives them.
FORMS = {"POST /dashboard/login", "POST /dashboard/logout"}


def _operations() -> list[str]:
    ops = [f"{m.upper()} {p}" for p, item in CONTRACT["paths"].items() for m in item if m in METHODS]
    return [op for op in ops if op not in FORMS]


OPERATIONS = _operations()


def _op(label: str) -> dict[str, Any]:
    method, path = label.split(" ", 1)
    return CONTRACT["paths"][path][method.lower()]  # type: ignore[no-any-return]


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = COMPONENTS[schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _object_branch(schema: dict[str, Any]) -> dict[str, Any] | None:
    """The object (or array) schema inside ``schema``'s anyOf, if any."""
    schema = _resolve(schema)
    for branch in [schema, *schema.get("anyOf", [])]:
        branch = _resolve(branch)
        if "properties" in branch or branch.get("type") == "array" or "additionalProperties" in branch:
            return branch
    return None


def _body_fields(schema: dict[str, Any], baseline: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    inner = _object_branch(schema)
    if inner is None:
        return out
    if "properties" in inner:
        for name, sub in inner["properties"].items():
            out.append((*prefix, name))
            child = baseline.get(name) if isinstance(baseline, dict) else None
            out += _body_fields(sub, child, (*prefix, name))
    elif isinstance(inner.get("additionalProperties"), dict) and isinstance(baseline, dict) and baseline:
        key = sorted(baseline)[0]
        out.append((*prefix, key))
    elif inner.get("type") == "array" and isinstance(baseline, list) and baseline:
        out.append((*prefix, 0))
        out += _body_fields(inner.get("items", {}), baseline[0], (*prefix, 0))
    return out


def _pointer(path: tuple[Any, ...]) -> str:
    return "#/" + "/".join(str(p) for p in path)


@dataclass
class Request:
    """One request, as the test sends it."""

    path: dict[str, Any] = field(default_factory=dict)
    query: dict[str, Any] = field(default_factory=dict)
    body: Any = None
    has_body: bool = False


NO_BODY = object()


def _baselines(ids: dict[str, Any], day: date) -> dict[str, Request]:
    """A request per operation that the seeded world answers with 2xx."""
    b = ids["B01"]
    states = ids["states"]
    iso = day.isoformat()
    quote_body = {"amount": "300000", "annual_rate": "18.9", "term_months": 24, "method": "annuity",
                  "issue_date": iso, "day_count": "30/360", "upfront_fee": "0", "monthly_fee": "0",
                  "grace_months": 0}
    product = {k: v for k, v in ids["product"].items() if k != "code"}

    def body(value: Any) -> Request:
        return Request(body=value, has_body=True)

    return {
        "POST /v1/quotes": body(quote_body),
        "POST /v1/quotes/max-amount": body(
            {"monthly_income": "150000", "monthly_debt_payments": "10000", "annual_rate": "18.9",
             "term_months": 24, "pdn_limit": "0.5", "product_code": "consumer"}),
        "POST /v1/quotes/early-repayment": body(
            {"terms": quote_body, "date": (day + timedelta(days=45)).isoformat(), "amount": "50000",
             "mode": "reduce_term"}),
        "POST /v1/offers": body(
            {"borrower": {"birth_date": "1985-04-12", "monthly_income": "150000", "monthly_debt_payments": "10000"},
             "wish": {"amount": "300000", "term_months": 24, "purpose": "consumer"}, "channel": "branch"}),
        "POST /v1/applications": body(application_body(b["manager"], passport="4701 300001")),
        "GET /v1/applications": Request(query={
            "status": "approved", "manager_id": b["manager"], "created_from": (day - timedelta(days=30)).isoformat(),
            "created_to": (day + timedelta(days=1)).isoformat(), "cursor": ids["cursor"], "limit": 10}),
        "GET /v1/applications/{application_id}": Request(path={"application_id": b["application"]}),
        "GET /v1/applications/{application_id}/history": Request(path={"application_id": b["application"]}),
        "POST /v1/applications/{application_id}/documents": Request(
            path={"application_id": states["documents_required"]},
            body={"type": "income_statement", "number": "IS-1", "issued_on": (day - timedelta(days=3)).isoformat()},
            has_body=True),
        "POST /v1/applications/{application_id}/decision": Request(
            path={"application_id": states["referred"]},
            body={"decision": "approve", "reason": "checked by phone"}, has_body=True),
        "POST /v1/applications/{application_id}/contract": Request(path={"application_id": states["approved"]}),
        "GET /v1/applications/{application_id}/contract": Request(
            path={"application_id": states["contract_issued"]}),
        "POST /v1/applications/{application_id}/sign": Request(
            path={"application_id": states["contract_issued"]}, body={"pdn_warning_acknowledged": False},
            has_body=True),
        "POST /v1/applications/{application_id}/withdraw": Request(
            path={"application_id": states["approved"]}, body={"reason": "the borrower changed their mind"},
            has_body=True),
        "POST /v1/applications/{application_id}/disburse": Request(path={"application_id": states["signed"]}),
        "GET /v1/loans/{loan_id}": Request(path={"loan_id": b["loan"]}, query={"as_of": iso}),
        "POST /v1/loans/{loan_id}/payments": Request(
            path={"loan_id": b["loan"]}, body={"amount": "1000", "paid_on": iso}, has_body=True),
        "GET /v1/loans/{loan_id}/payments": Request(path={"loan_id": b["loan"]}, query={"as_of": iso}),
        "GET /v1/loans/{loan_id}/payoff": Request(path={"loan_id": b["loan"]}, query={"on": iso}),
        "POST /v1/loans/{loan_id}/early-repayments": Request(
            path={"loan_id": b["loan"]},
            body={"on": (day + timedelta(days=30)).isoformat(), "amount": "1000", "mode": "reduce_term"},
            has_body=True),
        "POST /v1/loans/{loan_id}/payment-holidays": Request(
            path={"loan_id": b["loan"]}, body={"from": (day + timedelta(days=1)).isoformat(), "months": 2},
            has_body=True),
        "GET /v1/business-date": Request(),
        "GET /v1/loans": Request(query={"manager_id": b["manager"], "status": "active", "bucket": "current",
                                        "as_of": iso, "limit": 10}),
        "GET /v1/reminders": Request(query={"within_days": 45}),
        "GET /v1/me": Request(),
        "GET /v1/products": Request(),
        "POST /v1/products": body({**product, "code": "hostile_new", "name": "Hostile programme"}),
        "GET /v1/products/{code}": Request(path={"code": "consumer"}),
        "PUT /v1/products/{code}": Request(path={"code": "consumer"}, body=product, has_body=True),
        "POST /v1/managers": body({"id": "M-NEW", "name": "New Manager", "channel": "branch", "branch_id": "B01",
                                   "specialisation": "consumer", "segment": "mass"}),
        "GET /v1/managers": Request(query={"limit": 10}),
        "GET /v1/managers/{manager_id}": Request(path={"manager_id": b["manager"]}),
        "GET /v1/managers/{manager_id}/portfolio": Request(path={"manager_id": b["manager"]}, query={"as_of": iso}),
        "PUT /v1/managers/{manager_id}/plan": Request(
            path={"manager_id": b["manager"]}, body={"period": iso[:7], "volume": "500000"}, has_body=True),
        "GET /v1/risk/manager-flags": Request(query={"as_of": iso, "fdr": 0.05, "min_expected": 5}),
        "GET /v1/risk/pdn-shares": Request(query={"quarter": f"{day.year}Q{(day.month - 1) // 3 + 1}"}),
        "GET /v1/psk-limits": Request(query={"on": "2025-08-15"}),  # the quarter migration 0007 loads
        "GET /dashboard": Request(query={"as_of": iso}),
        "GET /dashboard/managers/{manager_id}": Request(path={"manager_id": b["manager"]}, query={"as_of": iso}),
        "GET /healthz": Request(),
        "GET /readyz": Request(),
        "GET /metrics": Request(),
    }


# The fields of each operation need a baseline body to walk arrays and maps; a stand-in
# with the seeded world's shapes (ids do not matter for the field list).
_SHAPES = _baselines(
    {"B01": {"manager": "M", "application": 1, "loan": 1},
     "states": dict.fromkeys(("documents_required", "referred", "approved", "contract_issued", "signed"), 1),
     "cursor": "x",
     "product": {"name": "n", "description": "", "min_amount": "1", "max_amount": "2", "min_term_months": 1,
                 "max_term_months": 2, "annual_rate": "1", "rate_by_grade": {"A1": "1"}, "min_age": 18,
                 "max_age": 70, "min_income": "1", "pdn_limit": "0.5", "channels": ["branch"],
                 "required_documents": ["passport"], "active": True}},
    date(2026, 1, 15),
)


def fields_of(label: str) -> list[str]:
    """``path:NAME``, ``query:NAME`` and ``body:#/POINTER`` (``body:#/`` is the whole body)."""
    op = _op(label)
    out = [f"{p['in']}:{p['name']}" for p in op.get("parameters", []) if p["in"] in ("path", "query")]
    content = op.get("requestBody", {}).get("content", {}).get("application/json")
    if content is not None:
        out.append("body:#/")
        out += [f"body:{_pointer(p)}" for p in _body_fields(content["schema"], _SHAPES[label].body)]
    return out


# ---------------------------------------------------------------------------------------
# Known failures: (backend or "*", operation, field, value) -> what breaks
# ---------------------------------------------------------------------------------------

# Each 500 below that reaches the catch-all handler also costs the client its keep-alive
# connection ("drops the connection"); those rendered by the DBAPIError and OverflowError
# handlers keep it (see test_keep_alive_connection_survives_a_500).
_DROPS = "; the 500 drops the keep-alive connection"
_PDN_DECISION = ("a PDN above 100 breaks the Decision model: pydantic ValidationError for Decision.pdn (le=100, "
                 "at most 6 whole digits) at app/applications/repository.py:103 in from_values -> 500" + _DROPS)
_PDN_MAX_AMOUNT = ("a PDN above 100 breaks the MaxAmount response model: pydantic ValidationError for MaxAmount.pdn "
                   "(le=100, at most 6 whole digits) at app/quotes/service.py:203 in max_amount -> 500" + _DROPS)
_YEAR_10000 = ("a schedule past 9999-12-31: ValueError 'year 10000 is out of range' at app/loanmath/calendar.py "
               "in payment_dates -> 500" + _DROPS)
_CREATED_TO = ("created_to + 1 day overflows: OverflowError 'date value out of range' at "
               "app/applications/repository.py:216 in page -> 500 (the OverflowError handler renders it; "
               "connection kept)")
_NUL_PG = ("PostgreSQL text cannot hold NUL: sqlalchemy DataError (psycopg.DataError 'PostgreSQL text fields "
           "cannot contain NUL (0x00) bytes') at {where} -> 500 (SQLite stores or matches it; connection kept)")

_INT4_PG = ("ids are 32-bit INTEGER columns on PostgreSQL but the contract admits up to 2**63-1: sqlalchemy DataError "
            "(psycopg NumericValueOutOfRange 'integer out of range') at {where} -> 500 (SQLite: 404/422; "
            "connection kept)")

KNOWN: dict[tuple[str, str, str, str], str] = {}

# Cases outside the one-field corpus: several fields together (operation, name, overrides).
COMBOS: list[tuple[str, str, dict[str, Any]]] = [
    ("POST /v1/quotes/max-amount", "income=1e12,term=600,rate=0,pdn_limit=100",
     {"body:#/monthly_income": "1000000000000", "body:#/monthly_debt_payments": "0", "body:#/term_months": 600,
      "body:#/annual_rate": "0", "body:#/pdn_limit": "100", "body:#/product_code": None}),
    ("POST /v1/quotes", "issue_date=9999-01-01", {"body:#/issue_date": "9999-01-01"}),
    ("POST /v1/quotes/early-repayment", "terms.issue_date=9999-01-01",
     {"body:#/terms/issue_date": "9999-01-01", "body:#/date": "9999-02-15"}),
    ("POST /v1/applications", "monthly_income=1.00", {"body:#/borrower/monthly_income": "1.00"}),
    ("POST /v1/applications", "monthly_income=0.01", {"body:#/borrower/monthly_income": "0.01"}),
]
KNOWN_COMBOS: dict[tuple[str, str, str], str] = {}


# ---------------------------------------------------------------------------------------
# Case selection
# ---------------------------------------------------------------------------------------


def _sample(label: str, fields: list[str]) -> set[tuple[str, str]]:
    """Per operation: >= 3 values per field and every value at least once, rotating."""
    if not fields:
        return set()
    per_field = max(3, math.ceil(len(VALUES) / len(fields)))
    offset = sum(map(ord, label))  # stable across runs and machines
    chosen = set()
    for i, f in enumerate(fields):
        for j in range(per_field):
            chosen.add((f, VALUES[(offset + i * per_field + j) % len(VALUES)]))
    return chosen


def _backends() -> list[Any]:
    return ["sqlite", "postgres"]


def _cases() -> list[Any]:
    params = []
    for backend in _backends():
        backend_marks = [pytest.mark.postgres] if backend == "postgres" else []
        for label in OPERATIONS:
            fields = fields_of(label)
            sampled = _sample(label, fields)
            if not fields:
                params.append(pytest.param(backend, label, None, None, marks=backend_marks,
                                           id=f"{backend}|{label}|baseline"))
            for f, v in itertools.product(fields, VALUES):
                reason = KNOWN.get((backend, label, f, v)) or KNOWN.get(("*", label, f, v))
                if not (FULL or reason or (f, v) in sampled):
                    continue
                marks = list(backend_marks)
                if reason:
                    marks.append(pytest.mark.xfail(strict=True, reason=reason))
                params.append(pytest.param(backend, label, f, v, marks=marks, id=f"{backend}|{label}|{f}|{v}"))
    return params


# ---------------------------------------------------------------------------------------
# The world: a seeded template per backend, a fresh copy per case, one server for all
# ---------------------------------------------------------------------------------------


class _Forwarder:
    """The ASGI app the server runs: forwards to the current case's app, notes each peer."""

    def __init__(self) -> None:
        self.app: FastAPI | None = None
        self.peers: list[tuple[str, Any]] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            self.peers.append((scope["path"], scope.get("client")))
        assert self.app is not None, "no app under test"
        await self.app(scope, receive, send)


@dataclass
class Seeded:
    backend: str
    url: str  # the seeded template (a file path on SQLite, a database URL on PostgreSQL)
    keys: dict[str, dict[str, str]]
    ids: dict[str, Any]


_clones = itertools.count()


def _admin_engine(url: str) -> Any:
    return create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool)


def _settings(url: str) -> Settings:
    return Settings(database_url=url, db_pool_size=3, key_cache_seconds=0, log_level="WARNING")


def _seed(url: str) -> tuple[dict[str, dict[str, str]], dict[str, Any]]:
    app = create_app(_settings(url))
    keys: dict[str, dict[str, str]] = {}
    try:
        with transaction(app.state.engine, write=True) as session:
            for label, role, kw in (("admin", Role.ADMIN, {}), ("risk", Role.RISK_OFFICER, {}),
                                    ("P01", Role.PARTNER, {"partner_id": "P01"}),
                                    ("B01", Role.BRANCH, {"branch_id": "B01"})):
                _, key = keys_service.create_key(session, role=role, name=f"hostile-{label}", **kw)
                keys[label] = {"Authorization": f"Bearer {key}"}
        with TestClient(app, raise_server_exceptions=True) as client:
            ids = seed_world(client, keys["admin"], keys["risk"], {"P01": keys["P01"], "B01": keys["B01"]})
            ids["states"] = seed_states(client, keys["B01"], scope="B01", manager="M-B01", other=keys["P01"],
                                        other_scope="P01", other_manager="M-P01")
            page = client.get("/v1/applications", headers=keys["admin"], params={"limit": 1})
            assert page.status_code == 200 and page.json()["next_cursor"], page.text
            ids["cursor"] = page.json()["next_cursor"]
            product = client.get("/v1/products/consumer", headers=keys["admin"])
            assert product.status_code == 200, product.text
            ids["product"] = {k: v for k, v in product.json().items()
                              if k in COMPONENTS["ProductCreate"]["properties"]}
    finally:
        app.state.engine.dispose()
    return keys, ids



class _Seeds:
    """One seeded template per backend, built on first use, dropped at the module's end."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.seeded: dict[str, Seeded] = {}
        self._cleanups: list[Callable[[], None]] = []

    def get(self, backend: str, template: str) -> Seeded:
        if backend not in self.seeded:
            self.seeded[backend] = self._sqlite(template) if backend == "sqlite" else self._postgres(template)
        return self.seeded[backend]

    def _sqlite(self, template: str) -> Seeded:
        path = self.tmp / "seeded.db"
        shutil.copy(template, path)
        keys, ids = _seed(f"sqlite:///{path}")
        return Seeded("sqlite", str(path), keys, ids)

    def _postgres(self, template_url: str) -> Seeded:
        template = make_url(template_url).database
        name = f"{template}_hostile_{os.getpid()}"
        admin = _admin_engine(template_url)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))

        def drop() -> None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()

        self._cleanups.append(drop)
        url = make_url(template_url).set(database=name).render_as_string(hide_password=False)
        keys, ids = _seed(url)
        return Seeded("postgres", url, keys, ids)

    def close(self) -> None:
        for cleanup in self._cleanups:
            cleanup()


@pytest.fixture(scope="module")
def seeds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_Seeds]:
    s = _Seeds(tmp_path_factory.mktemp("hostile"))
    yield s
    s.close()


@dataclass
class Server:
    forwarder: _Forwarder
    http: httpx.Client
    errors: ErrorLog


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    """One real uvicorn server and one keep-alive client for every case of the module."""
    forwarder = _Forwarder()
    errors = ErrorLog()
    logger = logging.getLogger("app.errors")
    logger.addHandler(errors)
    try:
        with serve_in_thread(forwarder) as base, httpx.Client(base_url=base, timeout=60) as http:  # type: ignore[arg-type]
            yield Server(forwarder, http, errors)
    finally:
        logger.removeHandler(errors)


class _Copy:
    """A copy of the seeded database with its app; reused until a request may have changed it."""

    def __init__(self, seed: Seeded, tmp: Path) -> None:
        self.stack = contextlib.ExitStack()
        url = self.stack.enter_context(_fresh_copy(seed, tmp))
        self.app = create_app(_settings(url))
        self.stack.callback(self.app.state.engine.dispose)
        self.dirty = False

    def close(self) -> None:
        self.stack.close()


@dataclass
class World:
    backend: str
    app: FastAPI
    keys: dict[str, dict[str, str]]
    ids: dict[str, Any]
    server: Server
    copy: _Copy

    def changed(self) -> None:
        """The database may differ from the seeded one: the next case gets a fresh copy."""
        self.copy.dirty = True


@contextlib.contextmanager
def _fresh_copy(seed: Seeded, tmp: Path) -> Iterator[str]:
    if seed.backend == "sqlite":
        path = tmp / f"case{next(_clones)}.db"
        shutil.copy(seed.url, path)
        try:
            yield f"sqlite:///{path}"
        finally:
            path.unlink(missing_ok=True)
        return
    template = make_url(seed.url).database
    clone = f"{template}_c{next(_clones)}"
    admin = _admin_engine(seed.url)
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{clone}" TEMPLATE "{template}"'))
        yield make_url(seed.url).set(database=clone).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{clone}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="module")
def copies() -> Iterator[dict[str, _Copy]]:
    """The current copy per backend. A case whose request was refused (4xx) or only read
    leaves it as seeded, so the next case reuses it; any other case gets a fresh one."""
    current: dict[str, _Copy] = {}
    yield current
    for copy_ in current.values():
        copy_.close()


@pytest.fixture
def world(request: pytest.FixtureRequest, backend: str, seeds: _Seeds, server: Server,
          copies: dict[str, _Copy]) -> Iterator[World]:
    template = request.getfixturevalue("sqlite_template" if backend == "sqlite" else "postgres_migrated")
    seed = seeds.get(backend, str(template))
    copy_ = copies.get(backend)
    if copy_ is None or copy_.dirty:
        if copy_ is not None:
            copy_.close()
        copy_ = copies[backend] = _Copy(seed, seeds.tmp)
    server.forwarder.app = copy_.app
    try:
        yield World(backend, copy_.app, seed.keys, seed.ids, server, copy_)
    finally:
        server.forwarder.app = None


# ---------------------------------------------------------------------------------------
# Sending and judging one request
# ---------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return "null"
    return json.dumps(value)  # true, 1e+308, 1e-308, 1000000000000000000000000000000, {"a": 1}


def _quote(value: str) -> str:
    return quote(value, safe="", errors="surrogatepass")  # a lone surrogate as %ED%A0%80


def _query_string(query: dict[str, Any]) -> str:
    pairs = []
    for name, value in query.items():
        if isinstance(value, list):  # a list is the parameter repeated
            pairs += [f"{_quote(name)}={_quote(_text(v))}" for v in value]
        elif value is None:  # null: the nearest a query string has is an empty value
            pairs.append(f"{_quote(name)}=")
        else:
            pairs.append(f"{_quote(name)}={_quote(_text(value))}")
    return "&".join(pairs)


def _url(template: str, req: Request) -> str:
    path = template
    for name, value in req.path.items():
        path = path.replace("{" + name + "}", _quote(_text(value)))
    query = _query_string(req.query)
    return path + ("?" + query if query else "")


def _segments(pointer: str) -> list[str]:
    rest = pointer[2:]
    return rest.split("/") if rest else []


def _get(body: Any, segments: list[str]) -> Any:
    for seg in segments:
        if isinstance(body, list):
            body = body[int(seg)] if int(seg) < len(body) else None
        elif isinstance(body, dict):
            body = body.get(seg)
        else:
            return None
    return body


def _set(body: Any, segments: list[str], value: Any) -> Any:
    if not segments:
        return value
    container = body
    for seg in segments[:-1]:
        container = container[int(seg)] if isinstance(container, list) else container.setdefault(seg, {})
    last = segments[-1]
    if isinstance(container, list):
        container[int(last)] = value
    else:
        container[last] = value
    return body


def current_value(req: Request, where_name: str) -> Any:
    where, name = where_name.split(":", 1)
    if where == "path":
        return req.path.get(name)
    if where == "query":
        return req.query.get(name)
    return _get(req.body, _segments(name))


def with_values(req: Request, overrides: dict[str, Any]) -> Request:
    req = copy.deepcopy(req)
    for where_name, value in overrides.items():
        where, name = where_name.split(":", 1)
        if where == "path":
            req.path[name] = value
        elif where == "query":
            req.query[name] = value
        else:
            req.body = _set(req.body, _segments(name), value)
            req.has_body = True
    return req


def _roles(app: FastAPI, label: str) -> frozenset[Role] | None:
    method, path = label.split(" ", 1)
    for route in api_routes(app.routes):
        if route.path_format == path and method in (route.methods or ()):
            return route_roles(route)
    raise AssertionError(f"no route for {label}")


def key_for(world: World, label: str) -> dict[str, str]:
    """A key of a role the operation admits: admin where it may, else the branch B01."""
    roles = _roles(world.app, label)
    if roles is None:  # public, or the dashboard (which checks its key itself)
        return world.keys["admin"] if label.split(" ", 1)[1].startswith("/dashboard") else {}
    for role, key in ((Role.ADMIN, "admin"), (Role.BRANCH, "B01"), (Role.PARTNER, "P01"),
                      (Role.RISK_OFFICER, "risk")):
        if role in roles:
            return world.keys[key]
    raise AssertionError(f"{label} admits no known role")


def _documented_html(label: str, status: int) -> bool:
    response = _op(label)["responses"].get(str(status), {})
    return "text/html" in response.get("content", {})


@dataclass
class Outcome:
    status: int | None
    problems: list[str]
    body: str
    exceptions: list[str] = field(default_factory=list)
    connection: str = ""  # what became of the keep-alive connection

    def record(self, backend: str, label: str, case: str) -> None:
        """With LOANS_HOSTILE_REPORT=FILE, append what went wrong as one JSON line."""
        if REPORT and self.problems:
            line = {"backend": backend, "operation": label, "case": case, "status": self.status,
                    "exceptions": self.exceptions, "connection": self.connection, "problems": self.problems}
            with open(REPORT, "a", encoding="utf-8") as out:
                out.write(json.dumps(line, ensure_ascii=False) + "\n")


def send_and_judge(world: World, label: str, req: Request) -> Outcome:
    """Send ``req``; then /healthz on the same client. Returns what was wrong, if anything."""
    server = world.server
    method, template = label.split(" ", 1)
    headers = dict(key_for(world, label))
    content: bytes | None = None
    if req.has_body:
        headers["Content-Type"] = "application/json"
        # ensure_ascii: NUL and lone surrogates travel as JSON escapes (\u0000, \ud800)
        content = json.dumps(req.body, ensure_ascii=True, allow_nan=False).encode("ascii")
    server.errors.summaries.clear()
    server.forwarder.peers.clear()
    problems: list[str] = []
    try:
        response = server.http.request(method, _url(template, req), headers=headers, content=content)
    except httpx.HTTPError as exc:
        world.changed()
        return Outcome(None, [f"the request itself failed: {type(exc).__name__}: {exc}"], "")
    status = response.status_code
    if method != "GET" and not 400 <= status < 500:
        world.changed()  # accepted (or failed half-way): it may have written
    body = response.text[:300]
    exceptions = list(server.errors.summaries)
    if status >= 500 or status < 200 or 300 <= status < 400:
        problems.append(f"status {status}; server: {'; '.join(exceptions) or 'no exception logged'}")
    elif status >= 400:
        ctype = response.headers.get("content-type", "")
        if ctype.startswith("text/html") and _documented_html(label, status):
            pass
        elif not ctype.startswith("application/problem+json"):
            problems.append(f"{status} with content-type {ctype!r}, not application/problem+json")
        else:
            try:
                problem = response.json()
            except ValueError:
                problem = None
            if not isinstance(problem, dict):
                problems.append(f"{status} problem body is not a JSON object")
            else:
                missing = [k for k in ("type", "title", "detail") if not isinstance(problem.get(k), str)]
                if missing or problem.get("status") != status:
                    problems.append(f"{status} problem lacks {missing or ''} or has status {problem.get('status')!r}")
    first_peer = server.forwarder.peers[0][1] if server.forwarder.peers else None
    connection = "kept"
    try:
        health = server.http.get("/healthz")
        if health.status_code != 200:
            connection = f"GET /healthz answered {health.status_code}"
            problems.append(f"GET /healthz afterwards answered {health.status_code}")
        elif server.forwarder.peers and server.forwarder.peers[-1][1] != first_peer:
            connection = "closed by the server (GET /healthz opened a new one)"
            problems.append("the server closed the keep-alive connection after the response "
                            "(GET /healthz had to open a new one)")
    except httpx.HTTPError as exc:
        connection = f"next request failed: {type(exc).__name__}: {exc}"
        problems.append(f"GET /healthz on the same keep-alive client failed: {type(exc).__name__}: {exc}")
    return Outcome(status, problems, body, exceptions, connection)


def hostile_request(world: World, label: str, where_name: str, value_name: str) -> Request:
    base = _baselines(world.ids, today())[label]
    value = CORPUS[value_name](current_value(base, where_name))
    return with_values(base, {where_name: value})


# ---------------------------------------------------------------------------------------
# The tests
# ---------------------------------------------------------------------------------------


def test_every_operation_has_a_baseline_and_fields() -> None:
    assert set(OPERATIONS) == set(_SHAPES), set(OPERATIONS) ^ set(_SHAPES)
    assert sum(len(fields_of(op)) for op in OPERATIONS) > 100
    # every known failure names a real (operation, field, value), so none is silently dead
    for backend, label, where, value in KNOWN:
        assert backend in ("*", "sqlite", "postgres") and label in OPERATIONS, (backend, label)
        assert where in fields_of(label) and value in CORPUS, (label, where, value)


def _backend_params() -> list[Any]:
    return ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.mark.parametrize("backend", _backend_params())
@pytest.mark.parametrize("label", OPERATIONS)
def test_baseline_reaches_the_business_logic(world: World, label: str) -> None:
    """The unmodified request succeeds, so a hostile variant of it is judged past routing."""
    req = _baselines(world.ids, today())[label]
    outcome = send_and_judge(world, label, req)
    assert outcome.status is not None and 200 <= outcome.status < 300, (outcome.status, outcome.body)
    assert not outcome.problems, outcome.problems


@pytest.mark.parametrize(("backend", "label", "where", "value"), _cases())
def test_hostile_value(world: World, label: str, where: str | None, value: str | None) -> None:
    req = _baselines(world.ids, today())[label] if where is None or value is None else \
        hostile_request(world, label, where, value)
    outcome = send_and_judge(world, label, req)
    outcome.record(world.backend, label, f"{where}={value}")
    assert not outcome.problems, f"{label} {where}={value}: {outcome.problems}; body: {outcome.body!r}"


def _combo_cases() -> list[Any]:
    out = []
    for backend in _backends():
        for label, name, overrides in COMBOS:
            marks = [pytest.mark.postgres] if backend == "postgres" else []
            reason = KNOWN_COMBOS.get((backend, label, name)) or KNOWN_COMBOS.get(("*", label, name))
            if reason:
                marks.append(pytest.mark.xfail(strict=True, reason=reason))
            out.append(pytest.param(backend, label, overrides, marks=marks, id=f"{backend}|{label}|{name}"))
    return out


@pytest.mark.parametrize(("backend", "label", "overrides"), _combo_cases())
def test_hostile_combination(world: World, label: str, overrides: dict[str, Any]) -> None:
    req = with_values(_baselines(world.ids, today())[label], overrides)
    outcome = send_and_judge(world, label, req)
    outcome.record(world.backend, label, " ".join(f"{k}={v!r}" for k, v in overrides.items()))
    assert not outcome.problems, f"{label} {overrides}: {outcome.problems}; body: {outcome.body!r}"


# ---------------------------------------------------------------------------------------
# A 500 and the keep-alive connection it came on, with `loans serve` as in production
# ---------------------------------------------------------------------------------------



def _note_address(response: httpx.Response) -> None:
    """Response hook (headers in, body not yet read): the local address of the connection."""
    stream = response.extensions.get("network_stream")
    response.extensions["client_addr"] = stream.get_extra_info("client_addr") if stream is not None else None


def _after(client: httpx.Client, request: tuple[str, str, Any], key: dict[str, str],
           rounds: int) -> tuple[Counter[str], set[int], set[str]]:
    """``rounds`` times: the request, then GET /healthz at once on the same client."""
    outcomes: Counter[str] = Counter()
    statuses: set[int] = set()
    connection_headers: set[str] = set()
    method, url, body = request
    for _ in range(rounds):
        response = client.request(method, url, headers=key, json=body)
        statuses.add(response.status_code)
        connection_headers.add(response.headers.get("connection", "<none>"))
        try:
            health = client.get("/healthz")
        except httpx.HTTPError as exc:
            outcomes[f"next request failed ({type(exc).__name__}: {exc})"] += 1
            continue
        same = health.extensions["client_addr"] == response.extensions["client_addr"]
        outcomes["kept" if same else "closed: next request on a new connection"] += 1
    return outcomes, statuses, connection_headers


def test_keep_alive_connection_survives_a_500(database_url: str) -> None:
    """A bug's 500 (an exception no handler knows) keeps the client's connection open.

    Starlette's outermost error layer re-raises after answering, and uvicorn then drops the
    connection; the service's request middleware answers such errors itself instead.
    """
    app = create_app(Settings(database_url=database_url, db_pool_size=5))

    @app.get("/_boom")
    def boom() -> None:
        raise RuntimeError("a bug")

    try:
        with serve_in_thread(app) as base, httpx.Client(
            base_url=base, timeout=30, event_hooks={"response": [_note_address]}
        ) as client:
            outcomes, statuses, _ = _after(client, ("GET", "/_boom", None), {}, rounds=20)
    finally:
        app.state.engine.dispose()
    assert statuses == {500}, statuses
    assert outcomes == Counter(kept=20), dict(outcomes)
