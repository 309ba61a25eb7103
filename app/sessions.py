"""Typed session dependencies: one transaction per request, committed before the response.

``scope="function"`` makes FastAPI run the commit as soon as the route returns, before
the response is sent, so nothing is acknowledged that is not durable.

The dependencies are ``async`` so that they cost no thread-pool hop to enter: creating a
:class:`~sqlmodel.Session` does no I/O, and the session connects on its first query,
inside the route's worker thread (a write session's ``BEGIN IMMEDIATE`` marker rides on
its bind, see :func:`app.db.write_bind`). Ending the transaction (commit or rollback, then
returning the connection to the pool, which on PostgreSQL is a ``ROLLBACK`` round trip)
is blocking I/O, so it runs in one thread-pool call; a session that never connected is
closed on the event loop, where that does nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlmodel import Session

from app.db import write_bind


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
    if session.in_transaction():
        await run_in_threadpool(_commit if commit else _rollback, session)
    else:
        session.close()  # never connected, nothing pending: no I/O


async def _read(request: Request) -> AsyncIterator[Session]:
    session = Session(request.app.state.engine, expire_on_commit=False)
    try:
        yield session
    except BaseException:
        await _end(session, commit=False)
        raise
    await _end(session, commit=True)


async def _write(request: Request) -> AsyncIterator[Session]:
    session = Session(write_bind(request.app.state.engine), expire_on_commit=False)
    try:
        yield session
    except BaseException:
        await _end(session, commit=False)
        raise
    await _end(session, commit=True)


ReadSession = Annotated[Session, Depends(_read, scope="function")]
WriteSession = Annotated[Session, Depends(_write, scope="function")]
