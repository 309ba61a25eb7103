"""Route dependencies, typed, in one place: who calls, on which session, day, page and retry.

Routers take what they need from here (``principal: Filer``, ``session: WriteSession``,
``page: PageParams``, ``_: Idempotency``) and never read ``request.app.state`` or open a
connection themselves: this module owns both. The session dependencies own the
transaction: a write session commits when the route has returned (before the response
is sent, so nothing is acknowledged that is not durable) and rolls back on any error.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import Depends, Header, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.routing import APIRoute
from prometheus_client import CollectorRegistry
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.apikeys import web_session
from app.apikeys.service import principal_for
from app.core import idempotency
from app.core.config import Settings
from app.core.context import Context
from app.core.db import write_bind
from app.core.errors import Forbidden, Unauthorized, Unprocessable
from app.core.input_guard import refuse_unknown_query, refuse_unstorable_text
from app.core.pagination import PageRequest
from app.core.security import ALL_ROLES, KeyCache, Principal, bearer_key, hash_key, tag_roles
from schemas.identity import Role

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="loans"'}


# -- settings and engine -------------------------------------------------------------------


def settings_of(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def engine_of(request: Request) -> Engine:
    return request.app.state.engine  # type: ignore[no-any-return]


async def _settings(request: Request) -> Settings:
    return settings_of(request)


async def _engine(request: Request) -> Engine:
    return engine_of(request)


async def _registry(request: Request) -> CollectorRegistry:
    return request.app.state.metrics.registry  # type: ignore[no-any-return]


SettingsDep = Annotated[Settings, Depends(_settings)]
EngineDep = Annotated[Engine, Depends(_engine)]
MetricsRegistry = Annotated[CollectorRegistry, Depends(_registry)]


# -- sessions: one transaction per request -------------------------------------------------


def _commit(session: Session) -> None:
    try:
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _rollback(session: Session) -> None:
    try:
        session.rollback()
    finally:
        session.close()


async def _end(session: Session, *, commit: bool) -> None:
    # Creating a Session does no I/O (it connects on its first query, in the route's
    # thread); ending one that did connect is blocking I/O, so it takes one thread hop.
    if session.in_transaction():
        await run_in_threadpool(_commit if commit else _rollback, session)
    else:
        session.close()


async def _read_session(request: Request) -> AsyncIterator[Session]:
    session = Session(engine_of(request), expire_on_commit=False)
    try:
        yield session
    except BaseException:
        await _end(session, commit=False)
        raise
    await _end(session, commit=True)


async def _write_session(request: Request) -> AsyncIterator[Session]:
    # the write bind starts the transaction with BEGIN IMMEDIATE on SQLite (app.core.db)
    session = Session(write_bind(engine_of(request)), expire_on_commit=False)
    try:
        yield session
    except BaseException:
        await _end(session, commit=False)
        raise
    await _end(session, commit=True)


ReadSession = Annotated[Session, Depends(_read_session, scope="function")]
WriteSession = Annotated[Session, Depends(_write_session, scope="function")]


# -- who calls -----------------------------------------------------------------------------


def _look_up(request: Request, key: str) -> Principal | None:
    with Session(engine_of(request)) as session:
        return principal_for(session, key)


async def principal_for_key(request: Request, key: str) -> Principal | None:
    """The caller a presented key stands for, through the worker's key cache."""
    cache: KeyCache = request.app.state.key_cache
    digest = hash_key(key)
    principal = cache.get(digest)
    if principal is None:
        principal = await run_in_threadpool(_look_up, request, key)
        if principal is not None:
            cache.put(digest, principal)
    return principal


async def authenticate(request: Request) -> Principal:
    """The caller of a ``/v1`` request (401 without a known key; 429 above the rate limit)."""
    key = bearer_key(request.headers.get("authorization"))
    if key is None:
        raise Unauthorized("Send an API key as 'Authorization: Bearer <key>'.", headers=_CHALLENGE)
    principal = await principal_for_key(request, key)
    if principal is None:
        raise Unauthorized(
            "The API key is unknown or revoked.",
            headers={**_CHALLENGE, "WWW-Authenticate": 'Bearer realm="loans", error="invalid_token"'},
        )
    request.state.principal = principal
    await request.app.state.rate_limiter.check(principal.key_id)
    return principal


def require(*roles: Role) -> Any:
    """A dependency admitting only ``roles``; any other authenticated key gets 403."""
    allowed = frozenset(roles)
    if not allowed:
        raise ValueError("a route must admit at least one role")

    async def dependency(principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
        if principal.role not in allowed:
            role = principal.role.value
            raise Forbidden(
                f"{'An' if role[0] in 'aeiou' else 'A'} {role} key may not call this operation; "
                f"it admits {', '.join(sorted(r.value for r in allowed))}."
            )
        return principal

    tag_roles(dependency, allowed)
    return Depends(dependency)


Caller = Annotated[Principal, require(*ALL_ROLES)]
Reader = Caller
Admin = Annotated[Principal, require(Role.ADMIN)]
Filer = Annotated[Principal, require(Role.BRANCH, Role.PARTNER)]
RiskOfficer = Annotated[Principal, require(Role.RISK_OFFICER, Role.ADMIN)]

#: Ids are 32-bit integers on every database (PostgreSQL's INTEGER keys).
MAX_ID = 2**31 - 1
IdPath = Annotated[int, Path(ge=1, le=MAX_ID, description="The id the API returned")]
ManagerPath = Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]


# -- the dashboard's viewer ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who looks at a dashboard page: by a Bearer key (scripts) or a signed-in session.

    ``csrf`` is the session's token for its sign-out form (None for a Bearer key);
    ``presented`` says whether any credential came, so a page can say "sign in again".
    """

    principal: Principal | None
    csrf: str | None
    presented: bool


async def _viewer(request: Request, session: ReadSession) -> Viewer:
    key = bearer_key(request.headers.get("authorization"))
    if key:
        return Viewer(await principal_for_key(request, key), None, True)
    token = request.cookies.get(web_session.COOKIE, "")
    if token:
        found = await run_in_threadpool(web_session.session_principal, session, token)
        if found is not None:
            return Viewer(found[0], found[1], True)
    return Viewer(None, None, bool(token))


DashboardViewer = Annotated[Viewer, Depends(_viewer)]


# -- the business day and the service context ----------------------------------------------


def business_date(request: Request) -> date:
    return request.app.state.clock()  # type: ignore[no-any-return]


async def _today(request: Request) -> date:
    return business_date(request)


Today = Annotated[date, Depends(_today)]


async def _as_of(
    request: Request,
    as_of: Annotated[
        date | None, Query(description="The date to report on; defaults to the business date and may not pass it")
    ] = None,
) -> date:
    day = business_date(request)
    if as_of is None:
        return day
    if as_of > day:
        raise Unprocessable(
            f"as_of {as_of} is after the business date {day}: the book has no state there yet.",
            errors=[{"parameter": "as_of", "detail": f"after the business date {day}"}],
        )
    return as_of


#: A reporting date: the business date unless given, never after it.
AsOf = Annotated[date, Depends(_as_of)]


async def _context(request: Request, principal: Annotated[Principal, Depends(authenticate)]) -> Context:
    settings = settings_of(request)
    return Context(
        principal=principal,
        today=business_date(request),
        scorecard_path=settings.scorecard_path,
        policy_path=settings.decision_policy_path,
    )


RequestContext = Annotated[Context, Depends(_context)]


# -- pages ---------------------------------------------------------------------------------


async def _page(
    request: Request,
    limit: Annotated[int, Query(ge=1, le=1000, description="Page size, capped at LOANS_MAX_PAGE_SIZE")] = 50,
    cursor: Annotated[
        str | None, Query(max_length=500, description="`next_cursor` of the previous page")
    ] = None,
) -> PageRequest:
    return PageRequest(limit=min(limit, settings_of(request).max_page_size), cursor=cursor)


PageParams = Annotated[PageRequest, Depends(_page)]


# -- retries -------------------------------------------------------------------------------

_CLAIM = "loans.idempotency_claim"


@dataclass(slots=True)
class _Claim:
    session: Session
    claim_id: int

    def complete(self, status_code: int, body: bytes) -> None:
        idempotency.complete(self.session, self.claim_id, status_code=status_code, body=body)


async def _idempotency(
    request: Request,
    session: WriteSession,
    principal: Annotated[Principal, Depends(authenticate)],
    idempotency_key: Annotated[
        str | None,
        Header(
            max_length=200,
            pattern=r"^[\x21-\x7e]+$",
            description="Retry-safe key: the same key and body replay the first response "
            "(same status and body, for LOANS_IDEMPOTENCY_TTL_HOURS); another body is 422; "
            "a request still in progress is 409 with Retry-After. Keys belong to the tenant "
            "(the partner, the branch, or the bank), not to one API key.",
        ),
    ] = None,
) -> AsyncIterator[None]:
    if idempotency_key is None:
        yield
        return
    engine = engine_of(request)
    digest = idempotency.request_digest(request.method, request.url.path, await request.body())
    claimed = await run_in_threadpool(
        lambda: idempotency.claim(
            engine, tenant=principal.tenant, key=idempotency_key, digest=digest,
            key_id=principal.key_id, ttl=request.app.state.idempotency_ttl,
        )
    )
    if isinstance(claimed, idempotency.Replay):
        raise idempotency.Replayed(claimed)
    request.scope[_CLAIM] = _Claim(session, claimed)
    try:
        yield
    except BaseException:
        # end the failed transaction first: on SQLite it holds the writer's lock
        await run_in_threadpool(_rollback, session)
        await run_in_threadpool(idempotency.release, engine, claimed)
        raise


Idempotency = Annotated[None, Depends(_idempotency, scope="function")]


class ServiceRoute(APIRoute):
    """Every route of the service: strict about its input, and retry-safe.

    Before the route runs: a query parameter the route does not declare is a 422 (a client
    sending ``passport_number`` must not believe it searched), and text no database can
    store (NUL, lone surrogates) is a 422 pointing at the field, on SQLite and PostgreSQL
    alike. After it ran, when the request carried an Idempotency-Key, its answer is written
    through the request's write session before the session dependency commits: the change
    and its answer are committed together.
    """

    def get_route_handler(self) -> Callable[[Request], Any]:
        handler = super().get_route_handler()
        names = frozenset(_query_names(self.dependant))

        async def handle(request: Request) -> Response:
            refuse_unknown_query(request, names)
            refuse_unstorable_text(request, await request.body())
            response: Response = await handler(request)
            claim: _Claim | None = request.scope.get(_CLAIM)
            if claim is not None:
                await run_in_threadpool(claim.complete, response.status_code, bytes(response.body))
            return response

        return handle


def _query_names(dependant: Any) -> set[str]:
    names = {p.alias for p in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names
