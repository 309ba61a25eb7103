"""The schema comes from Alembic, matches the models, and the audit trail is append-only."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import SQLModel

import app.migrations.tables  # noqa: F401
from app.audit import service as audit
from app.core.db import transaction


def test_migrations_match_the_models(engine) -> None:
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == [], f"models and migrations disagree: {diff}"


def test_audit_rows_cannot_be_changed_or_deleted(engine) -> None:
    with transaction(engine, write=True) as session:
        audit.record(session, actor="t", action="x.done", entity="x", entity_id="probe-1")
    for statement in ("UPDATE audit_event SET actor = 'mallory'", "DELETE FROM audit_event"):
        with pytest.raises(DBAPIError), engine.begin() as conn:
            conn.execute(text(statement))
    with engine.connect() as conn:
        query = text("SELECT actor FROM audit_event WHERE entity_id = 'probe-1'")
        assert conn.execute(query).scalar_one() == "t"


def test_sqlite_connections_use_wal_and_foreign_keys(engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
