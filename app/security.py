"""Authentication by API key and role checks: every ``/v1`` route declares who may call it.

Routes get their caller through :func:`require`, which is the only way to obtain a
:class:`Principal`; a route without it is caught by ``tests/test_security.py``, so the
default is to deny.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from app.apikeys.service import Principal, principal_for
from app.errors import Forbidden, RateLimited, Unauthorized
from schemas.identity import Role

_bearer = HTTPBearer(auto_error=False, description="An API key from `loans keys create`.")
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


def authenticate(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("Send an API key as 'Authorization: Bearer <key>'.", headers=_CHALLENGE)
    principal = principal_from_key(request, credentials.credentials)
    if principal is None:
        raise Unauthorized(
            "The API key is unknown or revoked.",
            headers={**_CHALLENGE, "WWW-Authenticate": 'Bearer realm="loans", error="invalid_token"'},
        )
    request.state.principal = principal
    request.app.state.rate_limiter.check(principal.key_id)
    return principal


def principal_from_key(request: Request, key: str) -> Principal | None:
    """The caller a presented key stands for (header or the dashboard's cookie)."""
    with Session(request.app.state.engine) as session:
        return principal_for(session, key)


def require(*roles: Role) -> Any:
    """A dependency admitting only ``roles``; any other authenticated key gets 403."""
    allowed = frozenset(roles)
    if not allowed:
        raise ValueError("a route must admit at least one role")

    def dependency(principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
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
