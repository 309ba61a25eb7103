"""Queries on managers and their plans."""

from __future__ import annotations

from sqlmodel import Session, select

from app.apikeys.service import Principal
from app.managers.table import ManagerRow
from app.scope import restrict
from schemas.managers import Manager, ManagerCreate


def to_schema(row: ManagerRow) -> Manager:
    return Manager.model_validate(row, from_attributes=True)


def get(session: Session, manager_id: str) -> ManagerRow | None:
    return session.get(ManagerRow, manager_id)


def list_visible(session: Session, principal: Principal, *, limit: int, after: str | None) -> list[Manager]:
    query = restrict(select(ManagerRow), principal, ManagerRow).order_by(ManagerRow.id).limit(limit)
    if after is not None:
        query = query.where(ManagerRow.id > after)
    return [to_schema(r) for r in session.exec(query).all()]


def insert(session: Session, manager: ManagerCreate) -> Manager:
    row = ManagerRow(**manager.model_dump(mode="json"))
    session.add(row)
    session.flush()
    return to_schema(row)
