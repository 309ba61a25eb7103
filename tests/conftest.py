"""Fixtures: the real app over httpx (TestClient) on SQLite always, PostgreSQL when set.

SQLite tests copy a migrated template file, so each test starts from a clean, fully
migrated database in milliseconds; PostgreSQL tests do the same with ``CREATE DATABASE
... TEMPLATE``: the throw-away database ``LOANS_TEST_POSTGRES_URL`` is migrated once and
cloned for every test.
"""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import hypothesis
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool

from app import migrate
from app.apikeys import service as keys_service
from app.core.config import Settings
from app.core.db import transaction
from app.main import create_app
from schemas.identity import Role
from tests.factories import Clock

# Hypothesis profiles: registered and loaded HERE only, once for the whole run (a package
# conftest that loads a profile changes the settings of every test collected after it).
# Per-test @settings(...) override single fields. "default": no deadline (Decimal maths and
# DB-backed tests are slow on shared boxes); "ci" (CI env var set): also derandomized, so a
# CI run is reproducible; it prints a @reproduce_failure blob on failure.
# HYPOTHESIS_PROFILE=<name> picks one explicitly.
hypothesis.settings.register_profile(
    "default", hypothesis.settings.get_profile("default"), deadline=None
)
hypothesis.settings.register_profile(
    "ci", hypothesis.settings.get_profile("default"), derandomize=True, print_blob=True
)
hypothesis.settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "default")
)

POSTGRES_URL = os.environ.get("LOANS_TEST_POSTGRES_URL")
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    migrate.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_migrated() -> str:
    if not POSTGRES_URL:
        pytest.skip("LOANS_TEST_POSTGRES_URL is not set")
    # Every xdist worker runs this once; two migrating a fresh database at the same time both
    # try to create alembic_version. A session-level advisory lock lets one migrate while
    # the others wait, then find it at head.
    lock = create_engine(POSTGRES_URL, poolclass=NullPool)
    with lock.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(74201)"))
        try:
            migrate.upgrade(POSTGRES_URL)
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(74201)"))
    lock.dispose()
    return POSTGRES_URL


_clones = itertools.count()


def _admin_engine(url: str) -> Engine:
    return create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT",
                         poolclass=NullPool)


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        path = tmp_path / "loans.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    template_url = request.getfixturevalue("postgres_migrated")
    template = make_url(template_url).database
    clone = f"{template}_t{os.getpid()}_{next(_clones)}"
    admin = _admin_engine(template_url)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{clone}"'))
        conn.execute(text(f'CREATE DATABASE "{clone}" TEMPLATE "{template}"'))
    try:
        yield make_url(template_url).set(database=clone).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{clone}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def settings(database_url: str) -> Settings:
    # Keys are checked on every request in tests, so a revocation is seen at once; the
    # cache itself has its own tests.
    return Settings(database_url=database_url, db_pool_size=5, key_cache_seconds=0)


@pytest.fixture
def app(settings: Settings) -> Iterator[FastAPI]:
    application = create_app(settings)
    yield application
    application.state.engine.dispose()


@pytest.fixture
def engine(app: FastAPI) -> Engine:
    return app.state.engine  # type: ignore[no-any-return]


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


MakeKey = Callable[..., dict[str, str]]


@pytest.fixture
def make_key(engine: Engine) -> MakeKey:
    """Create a key and return the Authorization header that carries it."""

    def make(role: str | Role, *, branch: str | None = None, partner: str | None = None,
             name: str | None = None) -> dict[str, str]:
        with transaction(engine, write=True) as session:
            _, key = keys_service.create_key(
                session, role=Role(role), name=name, branch_id=branch, partner_id=partner,
            )
        return {"Authorization": f"Bearer {key}"}

    return make


@pytest.fixture
def admin(make_key: MakeKey) -> dict[str, str]:
    return make_key("admin", name="test-admin")


@pytest.fixture
def risk(make_key: MakeKey) -> dict[str, str]:
    return make_key("risk_officer", name="test-risk")


@pytest.fixture
def branch_a(make_key: MakeKey) -> dict[str, str]:
    return make_key("branch", branch="B01", name="branch-B01")


@pytest.fixture
def branch_b(make_key: MakeKey) -> dict[str, str]:
    return make_key("branch", branch="B02", name="branch-B02")


@pytest.fixture
def partner_a(make_key: MakeKey) -> dict[str, str]:
    return make_key("partner", partner="P01", name="partner-P01")


@pytest.fixture
def partner_b(make_key: MakeKey) -> dict[str, str]:
    return make_key("partner", partner="P02", name="partner-P02")


@pytest.fixture(autouse=True)
def _cooling_off_has_passed(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests that disburse right after signing stand two days later on the wall clock, so the
    cooling-off period (353-FZ art. 7 part 9.3) has passed; tests of the rule itself opt out."""
    if request.node.get_closest_marker("cooling_off") is None:
        from datetime import timedelta

        from app.core.clock import utcnow
        from app.loans import service

        monkeypatch.setattr(service, "utcnow", lambda: utcnow() + timedelta(hours=49))


@pytest.fixture
def clock(app: FastAPI) -> Clock:
    """The business date of the test's app, today until the test moves it."""
    from app.core.clock import today

    c = Clock(today())
    app.state.clock = c
    return c

