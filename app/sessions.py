"""Typed session dependencies: one transaction per request, committed before the response.

``scope="function"`` makes FastAPI run the commit as soon as the route returns, before
the response is sent, so nothing is acknowledged that is not durable.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session

from app.db import session_scope


def _read(request: Request) -> Iterator[Session]:
    yield from session_scope(request.app.state.engine)


def _write(request: Request) -> Iterator[Session]:
    yield from session_scope(request.app.state.engine, write=True)


ReadSession = Annotated[Session, Depends(_read, scope="function")]
WriteSession = Annotated[Session, Depends(_write, scope="function")]
