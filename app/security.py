"""Authentication by API key and role checks: every ``/v1`` route declares who may call it.

Routes get their caller through :func:`require`, which is the only way to obtain a
:class:`Principal`; a route without it is caught by ``tests/test_security.py``, so the
default is to deny.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.routing import APIRoute
from sqlmodel import Session
from starlette.routing import BaseRoute

from app.apikeys.service import Principal, hash_key, principal_for
from app.errors import Forbidden, RateLimited, Unauthorized
from schemas.identity import Role

# The OpenAPI security scheme every /v1 operation declares; app.main.build_openapi writes it
# (the dependency below reads the header itself, see require()).
SECURITY_SCHEME_NAME = "HTTPBearer"
SECURITY_SCHEME = {
    "type": "http", "description": "An API key from `loans keys create`.", "scheme": "bearer",
}
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="loans"'}

ALL_ROLES = tuple(Role)


class RateLimiter:
    """Fixed one-minute windows per key, in this process (each worker counts its own)."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._lock = threading.Lock()
        self._windows: dict[int, tuple[int, int]] = {}

    def check(self, key_id: int) -> None:
        if self.per_minute <= 0:
            return
        now = time.time()
        window = int(now // 60)
        with self._lock:
            start, count = self._windows.get(key_id, (window, 0))
            if start != window:
                start, count = window, 0
            count += 1
            self._windows[key_id] = (start, count)
            if len(self._windows) > 100_000:
                self._windows = {k: v for k, v in self._windows.items() if v[0] == window}
        if count > self.per_minute:
            retry = max(1, math.ceil((window + 1) * 60 - now))
            raise RateLimited(
                f"More than {self.per_minute} requests per minute for this key.",
                headers={"Retry-After": str(retry)},
            )


def bearer_key(request: Request) -> str | None:
    """The key of an ``Authorization: Bearer <key>`` header, parsed as FastAPI's HTTPBearer does."""
    authorization = request.headers.get("authorization")
    if not authorization:
        return None
    scheme, _, param = authorization.partition(" ")
    key = param.strip()
    if not scheme or not key or scheme.lower() != "bearer":
        return None
    return key


async def authenticate(request: Request) -> Principal:
    # async: a cached key is answered on the event loop; only a cache miss takes a
    # thread-pool hop for its database query.
    key = bearer_key(request)
    if key is None:
        raise Unauthorized("Send an API key as 'Authorization: Bearer <key>'.", headers=_CHALLENGE)
    principal: Principal | None = request.app.state.key_cache.get(hash_key(key))
    if principal is None:
        principal = await run_in_threadpool(principal_from_key, request, key)
    if principal is None:
        raise Unauthorized(
            "The API key is unknown or revoked.",
            headers={**_CHALLENGE, "WWW-Authenticate": 'Bearer realm="loans", error="invalid_token"'},
        )
    request.state.principal = principal
    request.app.state.rate_limiter.check(principal.key_id)
    return principal


class KeyCache:
    """Recently seen keys, so a busy front-end's every request does not query the key table.

    Only known, unrevoked keys are cached, for ``ttl`` seconds: a revocation takes effect
    within that time in every worker (``LOANS_KEY_CACHE_SECONDS``; 0 turns caching off).
    Entries are keyed by the key's hash, never by the key itself.
    """

    def __init__(self, ttl: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.clock = clock
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[float, Principal]] = {}

    def get(self, digest: str) -> Principal | None:
        if self.ttl <= 0:
            return None
        entry = self._entries.get(digest)
        if entry is None or entry[0] < self.clock():
            return None
        return entry[1]

    def put(self, digest: str, principal: Principal) -> None:
        if self.ttl <= 0:
            return
        with self._lock:
            if len(self._entries) > 10_000:
                now = self.clock()
                self._entries = {k: v for k, v in self._entries.items() if v[0] >= now}
            self._entries[digest] = (self.clock() + self.ttl, principal)


def principal_from_key(request: Request, key: str) -> Principal | None:
    """The caller a presented key stands for (header or the dashboard's cookie)."""
    cache: KeyCache = request.app.state.key_cache
    digest = hash_key(key)
    principal = cache.get(digest)
    if principal is not None:
        return principal
    with Session(request.app.state.engine) as session:
        principal = principal_for(session, key)
    if principal is not None:
        cache.put(digest, principal)
    return principal


def require(*roles: Role) -> Any:
    """A dependency admitting only ``roles``; any other authenticated key gets 403."""
    allowed = frozenset(roles)
    if not allowed:
        raise ValueError("a route must admit at least one role")

    # One flat dependency that reads the header itself: FastAPI's per-request cost grows
    # with the dependency tree, and solving HTTPBearer as a sub-dependency cost about as
    # much as the whole key check (docs/benchmarks.md). The security scheme it used to
    # contribute to the contract is declared by app.main.build_openapi for every route
    # that carries this dependency (tests/test_security.py holds the two equal).
    async def dependency(request: Request) -> Principal:
        principal = await authenticate(request)
        if principal.role not in allowed:
            raise Forbidden(
                f"A {principal.role.value} key may not call this operation; "
                f"it admits {', '.join(sorted(r.value for r in allowed))}."
            )
        return principal

    dependency.admitted_roles = allowed  # type: ignore[attr-defined]
    return Depends(dependency)


def admitted_roles(dependency: Callable[..., Any]) -> frozenset[Role] | None:
    return getattr(dependency, "admitted_roles", None)


def api_routes(routes: Iterable[BaseRoute]) -> list[APIRoute]:
    """All APIRoutes, also inside included routers (FastAPI >= 0.160 keeps them nested)."""
    out: list[APIRoute] = []
    for r in routes:
        if isinstance(r, APIRoute):
            out.append(r)
        elif getattr(r, "original_router", None) is not None:
            out.extend(api_routes(r.original_router.routes))  # type: ignore[attr-defined]
    return out


def dependency_calls(route: APIRoute) -> list[Callable[..., Any]]:
    """Every callable in the route's dependency tree."""
    stack, seen = [route.dependant], []
    while stack:
        dep = stack.pop()
        if dep.call is not None:
            seen.append(dep.call)
        stack.extend(dep.dependencies)
    return seen


def route_roles(route: APIRoute) -> frozenset[Role] | None:
    """The roles a route admits (through :func:`require`), or ``None`` if it needs no key."""
    for call in dependency_calls(route):
        roles = admitted_roles(call)
        if roles:
            return roles
    return None
