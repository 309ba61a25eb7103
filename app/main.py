"""The application factory: wires settings, database, errors, observability and routers."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from prometheus_client import CollectorRegistry
from sqlalchemy.engine import Engine

from app.applications.router import router as applications_router
from app.core.clock import business_calendar
from app.core.config import Settings, get_settings
from app.core.db import make_engine
from app.core.errors import PROBLEM_JSON, install_error_handlers
from app.core.idempotency import Replayed, on_replayed
from app.core.observability import Metrics, RequestContextMiddleware, configure_logging
from app.core.rate_limit import RateLimiter
from app.core.security import SECURITY_SCHEME, SECURITY_SCHEME_NAME, KeyCache, api_routes, route_roles
from app.health.router import router as health_router
from app.identity.router import router as identity_router
from app.loans.router import router as loans_router
from app.managers.router import router as managers_router
from app.openapi_links import add_links
from app.pricing.router import router as pricing_router
from app.products.router import router as products_router
from app.quotes.router import router as quotes_router
from app.risk.dashboard_router import router as dashboard_router
from app.risk.pdn_router import router as pdn_shares_router
from app.risk.router import router as risk_router
from schemas.problem import Problem

API_VERSION = "1.0.0"
DESCRIPTION = """\
The system behind a bank's retail credit desk: loan quotes with exact schedules and the
full cost of credit (PSK), affordability (PDN), product offers, applications with document
checks, a calibrated scorecard, contracts, loans and servicing, and managers' portfolios
with statistically sound flags for the security service.

Every `/v1` operation needs `Authorization: Bearer <key>` (create one with
`loans keys create`). Money and rates travel as decimal strings. Every error is an
RFC 9457 problem (`application/problem+json`).
"""


def create_app(settings: Settings | None = None, *, engine: Engine | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_level)
    app = FastAPI(
        title="Loan origination service",
        version=API_VERSION,
        description=DESCRIPTION,
        openapi_url="/openapi.json",
    )
    app.state.settings = settings
    app.state.engine = engine or make_engine(settings)
    app.state.metrics = Metrics(CollectorRegistry())
    app.state.rate_limiter = RateLimiter(settings.rate_limit_per_minute, redis_url=settings.redis_url)
    app.state.key_cache = KeyCache(settings.key_cache_seconds)
    app.state.clock = business_calendar(settings.business_date)
    app.state.idempotency_ttl = timedelta(hours=settings.idempotency_ttl_hours)

    install_error_handlers(app, retry_after_seconds=settings.retry_after_seconds)
    app.add_exception_handler(Replayed, on_replayed)
    app.add_middleware(
        RequestContextMiddleware, metrics=app.state.metrics, max_body_bytes=settings.max_body_bytes
    )
    # Hot routes first: matching walks the routes in order.
    add_routes_flat(app, (
        quotes_router, applications_router, loans_router, identity_router, products_router, managers_router,
        risk_router, dashboard_router, health_router, pricing_router, pdn_shares_router,
    ))

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_openapi(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


def add_routes_flat(app: FastAPI, routers: Iterable[APIRouter]) -> None:
    """The routers' routes, straight into the application's route list.

    FastAPI >= 0.160 keeps an included router nested and walks its include context on every
    request, ~28 us per call here (docs/benchmarks.md). Our routers carry nothing an include
    would add (their prefix and tags are already on each route; no router dependencies,
    no nested routers), so their APIRoutes are used as they are, and matching is the plain
    walk over ``app.router.routes`` that routes declared on the app get. A router that does
    carry such settings is included the usual way. Routes built this way do not see
    ``app.dependency_overrides`` (nothing here uses them).
    """
    for router in routers:
        plain = (
            not router.dependencies
            and not router.callbacks
            and not router._low_priority_routes
            and all(isinstance(r, APIRoute) for r in router.routes)
        )
        if plain:
            app.router.routes.extend(router.routes)
        else:
            app.include_router(router)


def build_openapi(app: FastAPI) -> dict[str, Any]:
    """The contract: FastAPI's schema, with the problem type and the key scheme declared once."""
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes,
    )
    _declare_security(app, schema)
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(problem.pop("$defs", {}))
    components["Problem"] = problem
    problem_content = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.get("responses", {})
            if "422" in responses:
                responses["422"] = {"description": "Invalid input", "content": problem_content}
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    add_links(schema)
    return schema


def _declare_security(app: FastAPI, schema: dict[str, Any]) -> None:
    """Mark every operation that needs a key, where FastAPI would from a security dependency.

    ``app.deps.require`` reads the Authorization header itself instead of depending on
    ``HTTPBearer``, so the scheme is written here.
    """
    secured = False
    paths = schema.get("paths", {})
    for route in api_routes(app.routes):
        if not route.include_in_schema or route_roles(route) is None:
            continue
        for method in route.methods or ():
            item = paths.get(route.path_format, {})
            operation = item.get(method.lower())
            if operation is not None:
                item[method.lower()] = _with_security(operation)
                secured = True
    if secured:
        schema.setdefault("components", {})
        schema["components"]["securitySchemes"] = {SECURITY_SCHEME_NAME: dict(SECURITY_SCHEME)}


def _with_security(operation: dict[str, Any]) -> dict[str, Any]:
    # where FastAPI puts it: after the operation's metadata, before its parameters
    out: dict[str, Any] = {}
    for key, value in operation.items():
        if key in _AFTER_SECURITY and "security" not in out:
            out["security"] = [{SECURITY_SCHEME_NAME: []}]
        out[key] = value
    out.setdefault("security", [{SECURITY_SCHEME_NAME: []}])
    return out


_AFTER_SECURITY = frozenset({"parameters", "requestBody", "callbacks", "responses"})
