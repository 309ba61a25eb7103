"""``/v1/applications``: filing, documents, decisions, contracts and the state machine."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from app.applications import contract, contract_html, repository, service
from app.core.errors import problem_responses
from app.deps import (
    Filer,
    Idempotency,
    IdPath,
    PageParams,
    Reader,
    ReadSession,
    RequestContext,
    RiskOfficer,
    ServiceRoute,
    WriteSession,
)
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
from schemas.contracts import Contract, SignIn

router = APIRouter(prefix="/v1/applications", tags=["applications"], route_class=ServiceRoute)
_READ_ERRORS = problem_responses(401, 404, 422, 429, 503)
_MOVE_ERRORS = problem_responses(401, 403, 404, 409, 413, 422, 429, 503)


@router.post(
    "",
    status_code=201,
    summary="File an application (branch or partner)",
    responses={**_MOVE_ERRORS, 201: {"description": "Filed; scored if the documents are complete"}},
)
def file_application(
    body: ApplicationCreate, principal: Filer, ctx: RequestContext, session: WriteSession, _: Idempotency
) -> Application:
    return service.file(conn=session.connection(), body=body, ctx=ctx)


@router.get("", summary="Applications visible to the caller, newest first", responses=_READ_ERRORS)
def list_applications(
    principal: Reader,
    session: ReadSession,
    page: PageParams,
    status: ApplicationStatus | None = None,
    manager_id: Annotated[str | None, Query(max_length=64)] = None,
    created_from: date | None = None,
    created_to: date | None = None,
) -> ApplicationPage:
    items, next_cursor = repository.page(
        session,
        principal,
        limit=page.limit,
        cursor=page.cursor,
        status=status.value if status else None,
        manager_id=manager_id,
        created_from=created_from,
        created_to=created_to,
    )
    return ApplicationPage(items=items, next_cursor=next_cursor)


@router.get("/{application_id}", summary="One application", responses=_READ_ERRORS)
def get_application(application_id: IdPath, principal: Reader, session: ReadSession) -> Application:
    return service.get(conn=session.connection(), application_id=application_id, principal=principal)


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
    application_id: IdPath, body: DocumentIn, principal: Filer, ctx: RequestContext, session: WriteSession,
    _: Idempotency,
) -> Application:
    return service.add_document(session=session, application_id=application_id, document=body, ctx=ctx)


@router.post(
    "/{application_id}/decision",
    summary="A risk officer decides a referred application",
    responses=_MOVE_ERRORS,
)
def risk_decision(
    application_id: IdPath, body: RiskDecisionIn, principal: RiskOfficer, ctx: RequestContext,
    session: WriteSession, _: Idempotency,
) -> Application:
    return service.risk_decision(session=session, application_id=application_id, body=body, ctx=ctx)


@router.post(
    "/{application_id}/contract",
    summary="Issue the credit agreement (refused above the PSK limit)",
    responses=_MOVE_ERRORS,
)
def issue_contract(
    application_id: IdPath, principal: Filer, ctx: RequestContext, session: WriteSession, _: Idempotency
) -> Contract:
    return contract.issue_contract(session=session, application_id=application_id, ctx=ctx)


def wants_json(accept: str) -> bool:
    """JSON when the caller asks for it before (or without) HTML; HTML stays the default."""
    kinds = [part.split(";")[0].strip().lower() for part in accept.split(",")]
    json_at = kinds.index("application/json") if "application/json" in kinds else None
    html_at = kinds.index("text/html") if "text/html" in kinds else None
    return json_at is not None and (html_at is None or json_at < html_at)


@router.get(
    "/{application_id}/contract",
    summary="The agreement: JSON to Accept: application/json, printable HTML otherwise",
    response_model=Contract,
    responses={
        **_READ_ERRORS,
        200: {
            "description": "The agreement",
            "content": {"text/html": {"schema": {"type": "string"}}},
        },
    },
)
def get_contract(application_id: IdPath, principal: Reader, session: ReadSession, request: Request) -> Response:
    row = service.get_contract_row(session=session, application_id=application_id, principal=principal)
    document = contract.document(row)
    if wants_json(request.headers.get("accept", "")):
        return JSONResponse(document.model_dump(mode="json"))
    return HTMLResponse(contract_html.render(document))


@router.post("/{application_id}/sign", summary="Record the borrower's signature", responses=_MOVE_ERRORS)
def sign(
    application_id: IdPath, principal: Filer, ctx: RequestContext, session: WriteSession, _: Idempotency,
    body: SignIn | None = None,
) -> Application:
    return contract.sign(
        session=session, application_id=application_id, ctx=ctx,
        pdn_warning_acknowledged=body.pdn_warning_acknowledged if body else False,
    )


@router.post("/{application_id}/withdraw", summary="Withdraw before disbursement", responses=_MOVE_ERRORS)
def withdraw(
    application_id: IdPath,
    principal: Filer,
    ctx: RequestContext,
    session: WriteSession,
    _: Idempotency,
    body: WithdrawIn | None = None,
) -> Application:
    return service.withdraw(
        session=session, application_id=application_id, reason=body.reason if body else None, ctx=ctx
    )
