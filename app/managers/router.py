"""``/v1/managers``: the credit managers who file applications."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.core.errors import problem_responses
from app.deps import Admin, Caller, Idempotency, ManagerPath, PageParams, ReadSession, ServiceRoute, WriteSession
from app.managers import repository, service
from schemas.managers import Manager, ManagerCreate, ManagerPage

router = APIRouter(prefix="/v1/managers", tags=["managers"], route_class=ServiceRoute)


@router.post(
    "",
    status_code=201,
    summary="Register a credit manager (admin)",
    responses=problem_responses(401, 403, 409, 413, 422, 429, 503),
)
def create_manager(body: ManagerCreate, principal: Admin, session: WriteSession, _: Idempotency) -> Manager:
    return service.create(session=session, manager=body, actor=principal)


@router.get(
    "",
    summary="Managers visible to the caller, by id",
    responses=problem_responses(401, 422, 429, 503),
)
def list_managers(
    principal: Caller,
    session: ReadSession,
    page: PageParams,
    after: Annotated[
        str | None,
        Query(max_length=64, deprecated=True, description="Deprecated: use `cursor`. Last id of the previous page"),
    ] = None,
) -> ManagerPage:
    items, next_cursor = repository.page_visible(session, principal, page=page, after=after)
    return ManagerPage(items=items, next_cursor=next_cursor)


@router.get(
    "/{manager_id}",
    summary="One manager",
    responses=problem_responses(401, 404, 422, 429, 503),
)
def get_manager(manager_id: ManagerPath, principal: Caller, session: ReadSession) -> Manager:
    return service.get(session=session, manager_id=manager_id, principal=principal)
