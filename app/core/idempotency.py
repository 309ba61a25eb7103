"""Idempotency-Key: a retried state-changing request replays the first answer.

Partners and branch front-ends retry on network errors, so every state-changing ``POST``
honours the header (the dependency and route class in ``app.deps``). A key is claimed in
its own committed transaction, so a concurrent retry sees it and is told to wait (409
with ``Retry-After``); the answer is stored in the same transaction as the change it
acknowledges, so a replay is exactly what was committed and a crash can never leave a
change without its answer (a claim whose request died is taken over after
``STALE_CLAIM``, when its transaction is certain to have rolled back). Keys belong to the
tenant (the partner, the branch, or the bank), not to one API key.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Column, LargeBinary, UniqueConstraint
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, col, delete, select
from starlette.responses import Response as StarletteResponse

from app.core.clock import utcnow
from app.core.columns import UTCDateTime
from app.core.db import transaction
from app.core.errors import Conflict, Unprocessable

STALE_CLAIM = timedelta(seconds=60)
HEADER = "Idempotency-Key"


class IdempotencyRecord(SQLModel, table=True):
    """One claimed key of one tenant, with the answer once the request committed."""

    __tablename__ = "idempotency_record"
    __table_args__ = (UniqueConstraint("tenant", "idempotency_key"),)

    id: int | None = Field(default=None, primary_key=True)
    tenant: str = Field(max_length=80)
    idempotency_key: str = Field(max_length=200)
    request_hash: str = Field(max_length=64)
    key_id: int
    status_code: int | None = None
    response_body: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False, index=True)
    )


@dataclass(frozen=True, slots=True)
class Replay:
    """The stored answer of a completed request."""

    status_code: int
    body: bytes


class Replayed(Exception):
    """Raised by the dependency instead of running the route: the answer is known."""

    def __init__(self, replay: Replay) -> None:
        super().__init__("replayed")
        self.replay = replay


def request_digest(method: str, path: str, body: bytes) -> str:
    """What must match for a retry: the operation and the body (JSON compared by value)."""
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except (ValueError, UnicodeDecodeError, RecursionError):
        canonical = body
    h = hashlib.sha256()
    for part in (method.encode(), b" ", path.encode(), b"\n", canonical):
        h.update(part)
    return h.hexdigest()


def claim(engine: Engine, *, tenant: str, key: str, digest: str, key_id: int, ttl: timedelta) -> int | Replay:
    """Claim the key for this request (the claim's id) or return the stored answer to replay."""
    for _ in range(3):
        try:
            with transaction(engine, write=True) as session:
                existing = session.exec(
                    select(IdempotencyRecord).where(
                        IdempotencyRecord.tenant == tenant, IdempotencyRecord.idempotency_key == key
                    )
                ).first()
                now = utcnow()
                if existing is not None:
                    age = now - existing.created_at
                    expired = age > ttl
                    abandoned = existing.status_code is None and age > STALE_CLAIM
                    if not (expired or abandoned):
                        if existing.request_hash != digest:
                            raise Unprocessable(
                                "This Idempotency-Key was already used with another request; "
                                "send a new key for a new request.",
                                errors=[{"header": HEADER, "detail": "reused with another request"}],
                            )
                        if existing.status_code is None or existing.response_body is None:
                            raise Conflict(
                                "A request with this Idempotency-Key is still in progress; retry shortly.",
                                headers={"Retry-After": "1"},
                            )
                        return Replay(existing.status_code, existing.response_body)
                    session.delete(existing)
                    session.flush()
                row = IdempotencyRecord(tenant=tenant, idempotency_key=key, request_hash=digest, key_id=key_id)
                session.add(row)
                session.flush()
                assert row.id is not None
                return row.id
        except IntegrityError:
            continue  # a concurrent request claimed it first: look again
    raise Conflict(
        "A request with this Idempotency-Key is still in progress; retry shortly.", headers={"Retry-After": "1"}
    )


def complete(session: Session, claim_id: int, *, status_code: int, body: bytes) -> None:
    """Store the answer in the transaction of the change it acknowledges."""
    row = session.get(IdempotencyRecord, claim_id)
    if row is not None:
        row.status_code, row.response_body = status_code, body
        session.add(row)
        session.flush()


def release(engine: Engine, claim_id: int) -> None:
    """Forget the claim of a request that failed, so a corrected retry can run."""
    with transaction(engine, write=True) as session:
        session.exec(delete(IdempotencyRecord).where(col(IdempotencyRecord.id) == claim_id))


async def on_replayed(_request: object, exc: Exception) -> StarletteResponse:
    """The stored answer, as it was first sent."""
    assert isinstance(exc, Replayed)
    return StarletteResponse(
        exc.replay.body,
        status_code=exc.replay.status_code,
        media_type="application/json",
        headers={"Idempotent-Replayed": "true"},
    )
