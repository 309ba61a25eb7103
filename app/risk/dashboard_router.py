"""``/dashboard``: the risk officers' pages, behind the same API keys.

A browser cannot send a Bearer header by itself, so the sign-in form trades a key for a
server-side session (``app.apikeys.web_session``): the cookie holds an opaque token, never
the key. The sign-in form is protected against cross-site requests by a double-submit
token, sign-out by the session's own token; the ``/v1`` API never accepts the cookie.
A Bearer header works here too, for scripts.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.apikeys import web_session
from app.apikeys.service import principal_for
from app.core.errors import NotFound
from app.core.templates import render
from app.deps import AsOf, DashboardViewer, ReadSession, ServiceRoute, Today, Viewer, WriteSession
from app.risk import pages
from schemas.identity import Role

router = APIRouter(tags=["dashboard"], route_class=ServiceRoute)
CSRF_COOKIE = "loans_dashboard_csrf"
ALLOWED = {Role.RISK_OFFICER, Role.ADMIN}
_HTML: dict[str, Any] = {"content": {"text/html": {"schema": {"type": "string"}}}}
_PAGES: dict[int | str, dict[str, Any]] = {200: _HTML, 401: _HTML, 403: _HTML}


def _signin(request: Request, message: str = "", status: int = 401) -> HTMLResponse:
    csrf = secrets.token_urlsafe(24)
    response = HTMLResponse(
        render("signin.html", title="Risk dashboard: sign in", message=message, csrf_token=csrf,
               hours=int(web_session.LIFETIME.total_seconds() // 3600)),
        status_code=status,
        headers={"WWW-Authenticate": 'Bearer realm="loans"'} if status == 401 else None,
    )
    response.set_cookie(CSRF_COOKIE, csrf, httponly=True, samesite="strict", secure=_https(request),
                        max_age=3600, path="/dashboard")
    return response


def _https(request: Request) -> bool:
    return request.url.scheme == "https"


def _refusal(request: Request, viewer: Viewer) -> HTMLResponse | None:
    if viewer.principal is None:
        return _signin(request, "The session ended or the key is unknown; sign in again." if viewer.presented else "")
    if viewer.principal.role not in ALLOWED:
        return HTMLResponse(
            render("message.html", title="Forbidden", heading="Risk officers and admins only", detail=""),
            status_code=403,
        )
    return None


def _page(viewer: Viewer, template: str, **context: Any) -> HTMLResponse:
    return HTMLResponse(render(template, viewer=viewer.principal, csrf_token=viewer.csrf, **context))


_Filter = Annotated[str | None, Query(max_length=64)]


@router.get(
    "/dashboard",
    summary="Risk dashboard: the funnels and every manager, filterable, as of a date (HTML)",
    response_class=HTMLResponse,
    responses=_PAGES,
)
def show_dashboard(
    request: Request, viewer: DashboardViewer, session: ReadSession, as_of: AsOf, day: Today,
    segment: _Filter = None, branch_id: _Filter = None, partner_id: _Filter = None, status: _Filter = None,
) -> Response:
    refusal = _refusal(request, viewer)
    if refusal is not None:
        return refusal
    filters = pages.filters_from(segment, branch_id, partner_id, status)
    context = pages.overview(session, as_of=as_of, business_date=day, filters=filters)
    return _page(viewer, "dashboard.html", title="Risk dashboard", **context)


@router.get(
    "/dashboard/managers/{manager_id}",
    summary="A manager's portfolio: vintages, buckets, roll rates, loans, plan (HTML)",
    response_class=HTMLResponse,
    responses={**_PAGES, 404: _HTML},
)
def show_portfolio(
    request: Request, viewer: DashboardViewer, manager_id: str, session: ReadSession, as_of: AsOf, day: Today,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> Response:
    refusal = _refusal(request, viewer)
    if refusal is not None or viewer.principal is None:
        return refusal or HTMLResponse("", status_code=401)
    try:
        context = pages.manager(session, manager_id=manager_id, principal=viewer.principal, as_of=as_of,
                                business_date=day, cursor=cursor)
    except NotFound as exc:
        return HTMLResponse(
            render("message.html", title="Not found", heading="Not found", detail=exc.detail), status_code=404
        )
    return _page(viewer, "portfolio.html", title=f"Portfolio {manager_id}", **context)


@router.post(
    "/dashboard/login",
    summary="Sign in to the dashboard with an API key (HTML form); opens a server-side session",
    response_class=HTMLResponse,
    status_code=303,
    responses={303: {"description": "Signed in: to /dashboard, with the session cookie"}, 401: _HTML, 403: _HTML},
)
def login(
    request: Request,
    session: WriteSession,
    key: Annotated[str, Form(max_length=200)],
    csrf_token: Annotated[str, Form(max_length=100)],
) -> Response:
    expected = request.cookies.get(CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(expected.encode(), csrf_token.encode()):
        return _signin(request, "The sign-in form expired or came from another site; sign in again.", status=403)
    principal = principal_for(session, key.strip())
    if principal is None or principal.role not in ALLOWED:
        return _signin(request, "That key is unknown, revoked or not a risk officer's.")
    token, _ = web_session.open_session(session, principal)
    response = RedirectResponse("/dashboard", status_code=303)
    response.set_cookie(
        web_session.COOKIE, token, httponly=True, samesite="strict", secure=_https(request),
        max_age=int(web_session.LIFETIME.total_seconds()), path="/dashboard",
    )
    response.delete_cookie(CSRF_COOKIE, path="/dashboard")
    return response


@router.post(
    "/dashboard/logout",
    summary="Sign out of the dashboard (HTML form); ends the session",
    response_class=HTMLResponse,
    status_code=303,
    responses={303: {"description": "Signed out: to the sign-in page"}, 403: _HTML},
)
def logout(
    request: Request, viewer: DashboardViewer, session: WriteSession, csrf_token: Annotated[str, Form(max_length=100)]
) -> Response:
    token = request.cookies.get(web_session.COOKIE, "")
    if viewer.csrf is None or not hmac.compare_digest(viewer.csrf.encode(), csrf_token.encode()):
        return HTMLResponse(
            render("message.html", title="Forbidden", heading="Sign-out refused",
                   detail="The form did not come from your session."),
            status_code=403,
        )
    web_session.end_session(session, token)
    response = RedirectResponse("/dashboard", status_code=303)
    response.delete_cookie(web_session.COOKIE, path="/dashboard")
    return response
