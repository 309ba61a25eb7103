"""Writing to the audit trail; rows are only ever inserted (the table refuses the rest)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from app.audit.table import AuditEvent


def record(
    session: Session, *, actor: str, action: str, entity: str, entity_id: str | int,
    detail: dict[str, Any] | None = None,
) -> None:
    session.add(
        AuditEvent(actor=actor, action=action, entity=entity, entity_id=str(entity_id), detail=detail)
    )
