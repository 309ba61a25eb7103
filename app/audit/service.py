"""Writing to the audit trail; rows are only ever inserted (the table refuses the rest)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert
from sqlmodel import Session

from app.audit.table import AuditEvent


def record(
    session: Session, *, actor: str, action: str, entity: str, entity_id: str | int,
    detail: dict[str, Any] | None = None,
) -> None:
    session.add(
        AuditEvent(actor=actor, action=action, entity=entity, entity_id=str(entity_id), detail=detail)
    )


_INSERT = insert(AuditEvent.__table__)  # type: ignore[attr-defined]


def record_many(
    conn: Connection,
    *,
    actor: str,
    entity: str,
    entity_id: str | int,
    events: Sequence[tuple[str, dict[str, Any] | None]],
    at: datetime,
) -> None:
    """Several events of one entity in one statement, on a Core connection's transaction."""
    conn.execute(
        _INSERT,
        [
            {"at": at, "actor": actor, "action": action, "entity": entity, "entity_id": str(entity_id),
             "detail": detail}
            for action, detail in events
        ],
    )
