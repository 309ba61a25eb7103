"""``/v1/managers``: the credit managers who file applications."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from app.apikeys.service import Principal
from app.errors import problem_responses
from app.managers import repository, service
from app.security import ALL_ROLES, require
from app.sessions import ReadSession, WriteSession
from schemas.identity import Role
from schemas.managers import Manager, ManagerCreate

router = APIRouter(prefix="/v1/managers", tags=["managers"])
ManagerPath = Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]


@router.post(
    "",
    status_code=201,
    summary="Register a credit manager (admin)",
    responses=problem_responses(401, 403, 409, 413, 422, 429, 503),
)
def create_manager(
    body: ManagerCreate, principal: Annotated[Principal, require(Role.ADMIN)], session: WriteSession
) -> Manager:
    return service.create(session=session, manager=body, actor=principal)


@router.get(
    "",
    summary="Managers visible to the caller, by id",
    responses=problem_responses(401, 422, 429, 503),
)
def list_managers(
    request: Request,
    principal: Annotated[Principal, require(*ALL_ROLES)],
    session: ReadSession,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    after: Annotated[str | None, Query(max_length=64, description="Last id of the previous page")] = None,
) -> list[Manager]:
    limit = min(limit, request.app.state.settings.max_page_size)
    return repository.list_visible(session, principal, limit=limit, after=after)


@router.get(
    "/{manager_id}",
    summary="One manager",
    responses=problem_responses(401, 404, 422, 429, 503),
)
def get_manager(
    manager_id: ManagerPath,
    principal: Annotated[Principal, require(*ALL_ROLES)],
    session: ReadSession,
) -> Manager:
    return service.get(session=session, manager_id=manager_id, principal=principal)
