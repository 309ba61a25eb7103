"""``/dashboard``: the risk officers' page, behind the same API keys.

A browser cannot send a Bearer header by itself, so the sign-in form stores the key in an
HttpOnly, SameSite=Strict cookie that only the dashboard pages read; the ``/v1`` API never
accepts it (no cross-site request can ride on it).
"""

from __future__ import annotations

from html import escape
from typing import Annotated
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.core.errors import NotFound
from app.core.security import Principal, bearer_key
from app.deps import AsOf, ReadSession, ServiceRoute, principal_for_key
from app.risk import dashboard, service
from schemas.identity import Role

router = APIRouter(tags=["dashboard"], route_class=ServiceRoute)
COOKIE = "loans_dashboard_key"
ALLOWED = {Role.RISK_OFFICER, Role.ADMIN}
_HTML = {"content": {"text/html": {"schema": {"type": "string"}}}}


async def _viewer(request: Request) -> tuple[Principal | None, bool]:
    key = bearer_key(request.headers.get("authorization")) or request.cookies.get(COOKIE, "")
    return (await principal_for_key(request, key) if key else None), bool(key)


Viewer = Annotated[tuple[Principal | None, bool], Depends(_viewer)]


def _caller(viewer: tuple[Principal | None, bool]) -> tuple[Principal | None, HTMLResponse | None]:
    principal, key = viewer
    if principal is None:
        return None, HTMLResponse(
            dashboard.login_page("Sign in with an API key." if key else ""),
            status_code=401,
            headers={"WWW-Authenticate": 'Bearer realm="loans"'},
        )
    if principal.role not in ALLOWED:
        return None, HTMLResponse(
            dashboard.page("Forbidden", "<h1>Risk officers and admins only</h1>"), status_code=403
        )
    return principal, None


@router.get(
    "/dashboard",
    summary="Risk dashboard: funnel plot and flagged managers (HTML)",
    response_class=HTMLResponse,
    responses={200: _HTML, 401: _HTML, 403: _HTML},
)
def show_dashboard(
    viewer: Viewer, session: ReadSession, as_of: AsOf
) -> Response:
    _, refusal = _caller(viewer)
    if refusal is not None:
        return refusal
    flags, extra = service.manager_flags(session=session, as_of=as_of)
    return HTMLResponse(dashboard.dashboard_page(flags, extra.get("report")))  # type: ignore[arg-type]


@router.get(
    "/dashboard/managers/{manager_id}",
    summary="A manager's portfolio (HTML)",
    response_class=HTMLResponse,
    responses={200: _HTML, 401: _HTML, 403: _HTML, 404: _HTML},
)
def show_portfolio(
    viewer: Viewer,
    manager_id: str,
    session: ReadSession,
    as_of: AsOf,
) -> Response:
    principal, refusal = _caller(viewer)
    if refusal is not None or principal is None:
        return refusal or HTMLResponse("", status_code=401)
    try:
        p = service.portfolio(session=session, manager_id=manager_id, principal=principal, as_of=as_of)
    except NotFound as exc:
        return HTMLResponse(dashboard.page("Not found", f"<h1>{escape(exc.detail)}</h1>"), status_code=404)
    return HTMLResponse(dashboard.portfolio_page(p))


@router.post("/dashboard/login", include_in_schema=False)
async def login(request: Request) -> Response:
    form = parse_qs((await request.body()).decode("utf-8", "replace"))
    key = (form.get("key") or [""])[0].strip()
    principal = await principal_for_key(request, key) if key else None
    if principal is None or principal.role not in ALLOWED:
        return HTMLResponse(
            dashboard.login_page("That key is unknown, revoked or not a risk officer's."), status_code=401
        )
    response = RedirectResponse("/dashboard", status_code=303)
    response.set_cookie(
        COOKIE,
        key,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        max_age=8 * 3600,
        path="/dashboard",
    )
    return response
