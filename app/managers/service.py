"""Manager rules: ids are unique, branch and partner keys see only their own managers."""

from __future__ import annotations

from sqlmodel import Session

from app.audit import service as audit
from app.core.errors import Conflict
from app.core.scope import get_visible
from app.core.security import Principal
from app.managers import repository
from app.managers.table import ManagerRow
from schemas.managers import Manager, ManagerCreate


def create(*, session: Session, manager: ManagerCreate, actor: Principal) -> Manager:
    if repository.get(session, manager.id) is not None:
        raise Conflict(f"A manager with id '{manager.id}' already exists.")
    created = repository.insert(session, manager)
    audit.record(session, actor=actor.actor, action="manager.created", entity="manager", entity_id=manager.id)
    return created


def get_visible_row(*, session: Session, manager_id: str, principal: Principal) -> ManagerRow:
    return get_visible(session, ManagerRow, manager_id, principal, what="manager")


def get(*, session: Session, manager_id: str, principal: Principal) -> Manager:
    return repository.to_schema(get_visible_row(session=session, manager_id=manager_id, principal=principal))
