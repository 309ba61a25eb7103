"""Who is calling, and what a route admits: the pieces of authentication with no I/O.

The dependency that authenticates a request (``app.deps``) is built from these: a key
is recognised by its SHA-256 (keys carry 256 bits of randomness, so a fast hash is a
safe lookup), the caller becomes a :class:`Principal`, and every ``/v1`` route declares
the roles it admits through ``app.deps.require``, which tags its dependency so the
contract and the tests can read the roles back (:func:`route_roles`).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from cachetools import TTLCache
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from schemas.identity import Role

KEY_PREFIX = "lk_"
ALL_ROLES = tuple(Role)

# The OpenAPI security scheme of every /v1 operation (app.main.build_openapi writes it).
SECURITY_SCHEME_NAME = "HTTPBearer"
SECURITY_SCHEME = {
    "type": "http", "description": "An API key from `loans keys create`.", "scheme": "bearer",
}


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller, as every route and service sees it."""

    key_id: int
    name: str
    role: Role
    branch_id: str | None = None
    partner_id: str | None = None

    @property
    def actor(self) -> str:
        return f"{self.name} ({self.role.value})"

    @property
    def tenant(self) -> str:
        """The party the caller acts for: one partner, one branch, or the bank itself.

        Retries are recognised per tenant, not per key: a partner's two front-end keys
        retrying one request must not make two applications.
        """
        if self.role is Role.PARTNER:
            return f"partner:{self.partner_id}"
        if self.role is Role.BRANCH:
            return f"branch:{self.branch_id}"
        return "bank"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def bearer_key(authorization: str | None) -> str | None:
    """The key of an ``Authorization: Bearer <key>`` header, parsed as FastAPI's HTTPBearer does."""
    if not authorization:
        return None
    scheme, _, param = authorization.partition(" ")
    key = param.strip()
    if not scheme or not key or scheme.lower() != "bearer":
        return None
    return key


def tag_roles(dependency: Callable[..., Any], roles: frozenset[Role]) -> None:
    dependency.admitted_roles = roles  # type: ignore[attr-defined]


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
    """The roles a route admits (through ``app.deps.require``), or ``None`` if it needs no key."""
    for call in dependency_calls(route):
        roles = admitted_roles(call)
        if roles:
            return roles
    return None


class KeyCache:
    """Recently verified keys, so a busy front-end's every request does not query the key table.

    Only known, unrevoked keys are kept, for ``ttl`` seconds (``LOANS_KEY_CACHE_SECONDS``; 0
    turns caching off): a revocation takes effect within that time in every worker. Entries
    are keyed by the key's hash, never by the key itself.
    """

    def __init__(self, ttl: float, *, clock: Callable[[], float] = time.monotonic, size: int = 10_000) -> None:
        self.ttl = ttl
        self._lock = threading.Lock()
        self._entries: TTLCache[str, Principal] | None = (
            TTLCache(maxsize=size, ttl=ttl, timer=clock) if ttl > 0 else None
        )

    def get(self, digest: str) -> Principal | None:
        if self._entries is None:
            return None
        with self._lock:
            return self._entries.get(digest)

    def put(self, digest: str, principal: Principal) -> None:
        if self._entries is None:
            return
        with self._lock:
            self._entries[digest] = principal

    def forget(self, digest: str) -> None:
        if self._entries is None:
            return
        with self._lock:
            self._entries.pop(digest, None)
