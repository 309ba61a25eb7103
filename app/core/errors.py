"""Domain errors and the handlers that render every error as RFC 9457 problem details.

Each error class knows its status, so routes raise and one place renders; the same
classes feed ``responses=`` (see :func:`problem_responses`) so the contract lists them.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, TypeVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.loanmath.errors import LoanMathError

log = logging.getLogger("app.errors")

PROBLEM_JSON = "application/problem+json"


class ProblemError(Exception):
    """An error with an HTTP meaning; the handler turns it into problem details."""

    status: int = 400
    slug: str | None = None
    title: str = "Bad request"

    def __init__(
        self,
        detail: str,
        *,
        headers: Mapping[str, str] | None = None,
        errors: Sequence[Mapping[str, str]] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = dict(headers or {})
        self.errors = list(errors) if errors else None
        self.extra = extra


class Unauthorized(ProblemError):
    status, slug, title = 401, "unauthorized", "Authentication required"


class Forbidden(ProblemError):
    status, slug, title = 403, "forbidden", "Not allowed for this role"


class NotFound(ProblemError):
    status, slug, title = 404, "not-found", "Not found"


class Conflict(ProblemError):
    status, slug, title = 409, "conflict", "Conflict with the current state"


class Unprocessable(ProblemError):
    status, slug, title = 422, "unprocessable", "The request cannot be processed"


class PayloadTooLarge(ProblemError):
    status, slug, title = 413, "payload-too-large", "Request body too large"


class RateLimited(ProblemError):
    status, slug, title = 429, "rate-limited", "Too many requests"


class Unavailable(ProblemError):
    status, slug, title = 503, "unavailable", "Service temporarily unavailable"


def problem_body(
    status: int,
    detail: str,
    *,
    title: str | None = None,
    slug: str | None = None,
    instance: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": f"/problems/{slug}" if slug else "about:blank",
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    body.update({k: v for k, v in extra.items() if v is not None})
    return body


def problem_response(
    status: int, detail: str, *, headers: Mapping[str, str] | None = None, **kw: Any
) -> JSONResponse:
    return JSONResponse(
        problem_body(status, detail, **kw), status_code=status, media_type=PROBLEM_JSON,
        headers=dict(headers or {}),
    )


def _pointer(loc: Sequence[int | str]) -> dict[str, str]:
    where, *path = loc or ("body",)
    if where == "body":
        return {"pointer": "#/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in path)}
    if where in ("query", "path"):
        return {"parameter": str(path[0]) if path else ""}
    if where == "header":
        return {"header": str(path[0]) if path else ""}
    return {"pointer": "#/" + "/".join(str(p) for p in loc)}


def validation_errors(exc: RequestValidationError) -> list[dict[str, str]]:
    out = []
    for err in exc.errors():
        item = _pointer(err.get("loc", ()))
        msg = str(err.get("msg", "invalid"))
        if err.get("type") == "extra_forbidden":
            msg = "This field may not be set by the caller"
        item["detail"] = msg
        out.append(item)
    return out


@dataclass(frozen=True, slots=True)
class MathsFields:
    """Where a route's request holds the arguments the loan maths names in ``LoanMathError.field``.

    ``terms_at`` is where the body holds the loan terms (``""`` when the body is the terms,
    ``"terms/"`` when they sit under ``terms``); ``names`` maps the maths' parameter names to
    the request's where they differ (``on`` -> ``date``).
    """

    terms_at: str = ""
    names: Mapping[str, str] = field(default_factory=dict)

    def pointer(self, maths_field: str) -> str:
        head, _, attr = maths_field.partition(".")
        path = self.terms_at + attr if head == "terms" and attr else self.names.get(maths_field, maths_field)
        return f"#/{path}"


_MATHS_FIELDS = "__maths_fields__"
_Endpoint = TypeVar("_Endpoint", bound=Callable[..., Any])


def maths_fields(*, terms_at: str = "", names: Mapping[str, str] | None = None) -> Callable[[_Endpoint], _Endpoint]:
    """Mark an endpoint with where its request holds the maths' arguments (see :class:`MathsFields`).

    Put it under the route decorator; the LoanMathError handler reads it to point its 422
    at the request's field. An unmarked endpoint's body is taken to be the terms.
    """

    def mark(endpoint: _Endpoint) -> _Endpoint:
        setattr(endpoint, _MATHS_FIELDS, MathsFields(terms_at, dict(names or {})))
        return endpoint

    return mark


def loanmath_problem(request: Request, exc: LoanMathError) -> JSONResponse:
    """A refusal of the loan maths as a 422, pointing at the request field it names."""
    errors = None
    if exc.field:
        endpoint = getattr(request.scope.get("route"), "endpoint", None)
        fields: MathsFields = getattr(endpoint, _MATHS_FIELDS, None) or MathsFields()
        errors = [{"pointer": fields.pointer(exc.field), "detail": str(exc)}]
    return problem_response(
        Unprocessable.status, str(exc), title=Unprocessable.title, slug=Unprocessable.slug,
        instance=request.url.path, errors=errors,
    )


_BODY_PARSE_ERROR = "There was an error parsing the body"


def _allowed_methods(routes: Sequence[Any], scope: Mapping[str, Any]) -> set[str]:
    """Methods of every route whose path matches ``scope`` (nested routers included)."""
    methods: set[str] = set()
    for route in routes:
        nested = getattr(route, "original_router", None)
        if nested is not None:
            methods |= _allowed_methods(nested.routes, scope)
            continue
        path_regex = getattr(route, "path_regex", None)
        if path_regex is not None and path_regex.match(scope.get("path", "")):
            methods |= set(getattr(route, "methods", None) or ())
    return methods


def _request_id(request: Request) -> str | None:
    return getattr(request.state, "request_id", None)


def describe_exception(exc: BaseException) -> dict[str, Any]:
    """An exception as the logs may carry it: its types and its stack, never its messages.

    Messages of database and validation errors quote the values that failed (a passport,
    a name, a phone): those must not reach a log. The types, the SQLSTATE and the frames
    are enough to find the bug; the request id ties the line to the request.
    """
    chain: list[str] = []
    seen: BaseException | None = exc
    sqlstate = None
    while seen is not None and len(chain) < 5:
        chain.append(f"{type(seen).__module__}.{type(seen).__qualname__}")
        orig = getattr(seen, "orig", None)
        sqlstate = sqlstate or getattr(orig, "sqlstate", None) or getattr(seen, "sqlstate", None)
        seen = seen.__cause__ or seen.__context__
    frames = traceback.extract_tb(exc.__traceback__)[-12:]
    return {
        "error": " <- ".join(chain),
        "sqlstate": sqlstate,
        "stack": [f"{f.filename}:{f.lineno} {f.name}" for f in frames],
    }


def log_unexpected(exc: BaseException, request_id: str | None) -> None:
    log.error("unhandled error (request %s)", request_id, extra=describe_exception(exc))


def internal_error_body(request_id: str | None, instance: str | None = None) -> dict[str, Any]:
    return problem_body(
        500, "An unexpected error occurred; it has been logged.", slug="internal-error",
        title="Internal server error", instance=instance, correlation_id=request_id,
    )


def install_error_handlers(app: FastAPI, *, retry_after_seconds: int) -> None:
    async def on_problem(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ProblemError)
        return problem_response(
            exc.status, exc.detail, title=exc.title, slug=exc.slug,
            instance=request.url.path, headers=exc.headers, errors=exc.errors, **exc.extra,
        )

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
        headers = dict(exc.headers or {})
        if exc.status_code == 400 and detail == _BODY_PARSE_ERROR:
            # A body that is not JSON at all (bad encoding, binary) is invalid input like
            # malformed JSON: 422, as the contract documents, not an undocumented 400.
            return problem_response(
                422, "1 invalid input: #/", title="Request validation failed",
                slug="validation-error", instance=request.url.path,
                errors=[{"pointer": "#/", "detail": "The body is not valid JSON"}],
            )
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"No resource at {request.url.path}"
        elif exc.status_code == 405:
            detail = f"{request.method} is not allowed on {request.url.path}"
            # Starlette names only the first matching route's methods; list them all.
            headers["Allow"] = ", ".join(sorted(_allowed_methods(request.app.routes, request.scope)))
        return problem_response(exc.status_code, detail, instance=request.url.path, headers=headers)

    async def on_loanmath(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, LoanMathError)
        return loanmath_problem(request, exc)

    async def on_overflow(request: Request, exc: Exception) -> JSONResponse:
        if "too large to convert to SQLite INTEGER" not in str(exc):
            return await on_unexpected(request, exc)
        # An id (or other integer) beyond the 64-bit range the database stores: SQLite
        # refuses to bind it. No such row can exist, so it is invalid input, not a 500.
        return problem_response(
            422, "A number in the request is outside the 64-bit integer range.",
            title="The request cannot be processed", slug="unprocessable", instance=request.url.path,
        )

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = validation_errors(exc)
        where = ", ".join(
            e.get("pointer") or e.get("parameter") or e.get("header") or "?" for e in errors[:5]
        )
        n = len(errors)
        return problem_response(
            422, f"{n} invalid input{'s' if n != 1 else ''}: {where}",
            title="Request validation failed", slug="validation-error",
            instance=request.url.path, errors=errors,
        )

    async def on_database_down(request: Request, exc: Exception) -> JSONResponse:
        log.warning("database unavailable (request %s)", _request_id(request), extra=describe_exception(exc))
        return problem_response(
            503, "The database is unreachable; retry shortly.", slug="database-unavailable",
            title="Service temporarily unavailable", instance=request.url.path,
            headers={"Retry-After": str(retry_after_seconds)},
            correlation_id=_request_id(request),
        )

    async def on_dbapi(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, DBAPIError)
        if exc.connection_invalidated or isinstance(exc, OperationalError):
            return await on_database_down(request, exc)
        return await on_unexpected(request, exc)

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        rid = _request_id(request)
        log_unexpected(exc, rid)
        return JSONResponse(
            internal_error_body(rid, request.url.path), status_code=500, media_type=PROBLEM_JSON
        )

    app.add_exception_handler(ProblemError, on_problem)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(LoanMathError, on_loanmath)
    app.add_exception_handler(DBAPIError, on_dbapi)
    app.add_exception_handler(PoolTimeoutError, on_database_down)
    app.add_exception_handler(OverflowError, on_overflow)
    # Any other exception is answered by the request middleware (app.core.observability),
    # which, unlike Starlette's outermost error layer, does not re-raise it afterwards: a
    # re-raised error makes the server drop the client's keep-alive connection.


_DESCRIPTIONS = {
    400: "Malformed request",
    401: "Missing or unknown API key",
    403: "The key's role may not call this operation",
    404: "Not found, or not visible to this key",
    409: "Conflicts with the resource's current state",
    413: "Request body too large",
    422: "Invalid input",
    429: "Rate limit exceeded; see Retry-After",
    503: "Database unavailable; see Retry-After",
}


def problem_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` entries for the given error statuses."""
    return {
        code: {
            "description": _DESCRIPTIONS.get(code, HTTPStatus(code).phrase),
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for code in codes
    }
