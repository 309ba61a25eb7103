"""Queries on managers and their plans."""

from __future__ import annotations

from sqlmodel import Session, select

from app.core.pagination import PageRequest, encode_cursor, str_position
from app.core.scope import restrict
from app.core.security import Principal
from app.managers.table import ManagerRow
from schemas.managers import Manager, ManagerCreate


def to_schema(row: ManagerRow) -> Manager:
    return Manager.model_validate(row, from_attributes=True)


def get(session: Session, manager_id: str) -> ManagerRow | None:
    return session.get(ManagerRow, manager_id)


_KIND = "managers"


def page_visible(
    session: Session, principal: Principal, *, page: PageRequest, after: str | None = None
) -> tuple[list[Manager], str | None]:
    """Managers by id; ``after`` is the deprecated form of the cursor."""
    last = str_position(_KIND, page.cursor) if page.cursor is not None else after
    query = restrict(select(ManagerRow), principal, ManagerRow)
    if last is not None:
        query = query.where(ManagerRow.id > last)
    rows = session.exec(query.order_by(ManagerRow.id).limit(page.limit + 1)).all()
    items = [to_schema(r) for r in rows[: page.limit]]
    return items, (encode_cursor(_KIND, [items[-1].id]) if len(rows) > page.limit else None)


def insert(session: Session, manager: ManagerCreate) -> Manager:
    row = ManagerRow(**manager.model_dump(mode="json"))
    session.add(row)
    session.flush()
    return to_schema(row)
