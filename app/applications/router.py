"""``/v1/applications``: filing, documents, decisions, contracts and the state machine."""

from __future__ import annotations

import html
from datetime import date
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from app.apikeys.service import Principal
from app.applications import contract_html, idempotency, repository, service
from app.db import transaction, write_connection
from app.errors import problem_responses
from app.request_context import request_context
from app.security import require
from app.sessions import ReadSession, WriteSession
from schemas.applications import (
    Application,
    ApplicationCreate,
    ApplicationPage,
    ApplicationStatus,
    DocumentIn,
    RiskDecisionIn,
    Transition,
    WithdrawIn,
)
from schemas.identity import Role

router = APIRouter(prefix="/v1/applications", tags=["applications"])
IdPath = Annotated[int, Path(ge=1, le=2**63 - 1, description="The id the API returned")]

FILERS = (Role.BRANCH, Role.PARTNER)
READERS = (Role.ADMIN, Role.BRANCH, Role.PARTNER, Role.RISK_OFFICER)
Filer = Annotated[Principal, require(*FILERS)]
Reader = Annotated[Principal, require(*READERS)]
RiskOfficer = Annotated[Principal, require(Role.RISK_OFFICER, Role.ADMIN)]
_READ_ERRORS = problem_responses(401, 404, 422, 429, 503)
_MOVE_ERRORS = problem_responses(401, 403, 404, 409, 413, 422, 429, 503)


@router.post(
    "",
    status_code=201,
    summary="File an application (branch or partner)",
    responses={**_MOVE_ERRORS, 201: {"description": "Filed; scored if the documents are complete"}},
)
def file_application(
    request: Request,
    body: ApplicationCreate,
    principal: Filer,
    idempotency_key: Annotated[
        str | None,
        Header(
            max_length=200,
            pattern=r"^[\x21-\x7e]+$",
            description="Retry-safe key: the same key and body replay the first response (24 h)",
        ),
    ] = None,
) -> Response:
    engine = request.app.state.engine
    ctx = request_context(request, principal)
    if idempotency_key is None:
        with write_connection(engine) as conn:
            created = service.file(conn=conn, body=body, ctx=ctx)
        return Response(created.model_dump_json().encode(), status_code=201, media_type="application/json")
    ttl = request.app.state.idempotency_ttl
    claimed = idempotency.claim(
        engine,
        key_id=principal.key_id,
        key=idempotency_key,
        digest=idempotency.request_hash(body.model_dump_json().encode()),
        ttl=ttl,
    )
    if isinstance(claimed, idempotency.Replay):
        return Response(
            claimed.body,
            status_code=claimed.status_code,
            media_type="application/json",
            headers={"Idempotent-Replayed": "true"},
        )
    try:
        with transaction(engine, write=True) as session:
            created = service.file(conn=session.connection(), body=body, ctx=ctx)
            payload = created.model_dump_json().encode()
            idempotency.complete(session, claimed, status_code=201, body=payload)
    except BaseException:
        idempotency.release(engine, claimed)
        raise
    return Response(payload, status_code=201, media_type="application/json")


@router.get("", summary="Applications visible to the caller, newest first", responses=_READ_ERRORS)
def list_applications(
    request: Request,
    principal: Reader,
    session: ReadSession,
    status: ApplicationStatus | None = None,
    manager_id: Annotated[str | None, Query(max_length=64)] = None,
    created_from: date | None = None,
    created_to: date | None = None,
    cursor: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="Capped at LOANS_MAX_PAGE_SIZE")] = 50,
) -> ApplicationPage:
    limit = min(limit, request.app.state.settings.max_page_size)
    items, next_cursor = repository.page(
        session,
        principal,
        limit=limit,
        cursor=cursor,
        status=status.value if status else None,
        manager_id=manager_id,
        created_from=created_from,
        created_to=created_to,
    )
    return ApplicationPage(items=items, next_cursor=next_cursor)


@router.get("/{application_id}", summary="One application", responses=_READ_ERRORS, response_model=Application)
async def get_application(request: Request, application_id: IdPath, principal: Reader) -> Response:
    # async, with the whole read in one thread-pool call: a sync route with a session
    # dependency took two (the route, then closing the session), and each hop is a GIL
    # hand-off under load. The JSON is written once by the service, not re-validated by
    # FastAPI through the response model (docs/benchmarks.md, profile).
    body = await run_in_threadpool(
        partial(service.get_json, engine=request.app.state.engine, application_id=application_id, principal=principal)
    )
    return Response(body, media_type="application/json")


@router.get(
    "/{application_id}/history",
    summary="Every transition with actor, time and reason",
    responses=_READ_ERRORS,
)
def get_history(application_id: IdPath, principal: Reader, session: ReadSession) -> list[Transition]:
    service.get_row(session, application_id, principal)
    return repository.history(session, application_id)


@router.post("/{application_id}/documents", summary="Add one document and run the checks again", responses=_MOVE_ERRORS)
def add_document(
    request: Request, application_id: IdPath, body: DocumentIn, principal: Filer, session: WriteSession
) -> Application:
    return service.add_document(
        session=session, application_id=application_id, document=body, ctx=request_context(request, principal)
    )


@router.post(
    "/{application_id}/decision",
    summary="A risk officer decides a referred application",
    responses=_MOVE_ERRORS,
)
def risk_decision(
    request: Request, application_id: IdPath, body: RiskDecisionIn, principal: RiskOfficer, session: WriteSession
) -> Application:
    return service.risk_decision(
        session=session, application_id=application_id, body=body, ctx=request_context(request, principal)
    )


@router.post("/{application_id}/contract", summary="Issue the credit agreement", responses=_MOVE_ERRORS)
def issue_contract(request: Request, application_id: IdPath, principal: Filer, session: WriteSession) -> Application:
    return service.issue_contract(
        session=session, application_id=application_id, ctx=request_context(request, principal)
    )


@router.get(
    "/{application_id}/contract",
    summary="The agreement as printable HTML",
    response_class=HTMLResponse,
    responses=_READ_ERRORS,
)
def get_contract(application_id: IdPath, principal: Reader, session: ReadSession) -> HTMLResponse:
    row = service.get_contract_row(session=session, application_id=application_id, principal=principal)
    return HTMLResponse(contract_html.render(row, escape=html.escape))


@router.post("/{application_id}/sign", summary="Record the borrower's signature", responses=_MOVE_ERRORS)
def sign(request: Request, application_id: IdPath, principal: Filer, session: WriteSession) -> Application:
    return service.sign(session=session, application_id=application_id, ctx=request_context(request, principal))


@router.post("/{application_id}/withdraw", summary="Withdraw before disbursement", responses=_MOVE_ERRORS)
def withdraw(
    request: Request,
    application_id: IdPath,
    principal: Filer,
    session: WriteSession,
    body: WithdrawIn | None = None,
) -> Application:
    return service.withdraw(
        session=session,
        application_id=application_id,
        reason=body.reason if body else None,
        ctx=request_context(request, principal),
    )
