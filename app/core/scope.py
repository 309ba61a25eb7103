"""Tenancy: which rows a caller may see. A branch key sees its branch, a partner key its
partner; everything else is invisible (404), as if it did not exist."""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

from sqlmodel import Session

from app.core.errors import NotFound
from app.core.security import Principal
from schemas.identity import Role


class Scoped(Protocol):
    branch_id: str | None
    partner_id: str | None


RowT = TypeVar("RowT", bound=Scoped)


def visible(principal: Principal, *, branch_id: str | None, partner_id: str | None) -> bool:
    if principal.role is Role.BRANCH:
        return branch_id is not None and branch_id == principal.branch_id
    if principal.role is Role.PARTNER:
        return partner_id is not None and partner_id == principal.partner_id
    return True


def restrict(query: Any, principal: Principal, table: Any) -> Any:
    """Add the caller's scope to a SELECT on a table with branch_id and partner_id columns."""
    if principal.role is Role.BRANCH:
        return query.where(table.branch_id == principal.branch_id)
    if principal.role is Role.PARTNER:
        return query.where(table.partner_id == principal.partner_id)
    return query


def get_visible(
    session: Session, model: type[RowT], key: Any, principal: Principal, *, what: str, lock: bool = False
) -> RowT:
    """One row the caller may see (locked for update if asked), else 404 as if it did not exist."""
    row = session.get(model, key, with_for_update=lock)
    if row is None or not visible(principal, branch_id=row.branch_id, partner_id=row.partner_id):
        raise NotFound(f"No {what} with id {key!r}.")
    return row
