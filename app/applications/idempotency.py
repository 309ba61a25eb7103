"""Idempotency-Key for ``POST /v1/applications``: partners retry on network errors.

The key is claimed in its own committed transaction (so a concurrent retry sees it and
gets 409), and the response is stored in the same transaction as the application, so a
replay is exactly what was acknowledged. A claim left by a crashed request expires after
``STALE_CLAIM`` and may be taken over.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, select

from app.applications.table import IdempotencyRow
from app.clock import utcnow
from app.db import transaction
from app.errors import Conflict, Unprocessable

STALE_CLAIM = timedelta(seconds=60)


@dataclass(frozen=True, slots=True)
class Replay:
    status_code: int
    body: bytes


def request_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def claim(engine: Engine, *, key_id: int, key: str, digest: str, ttl: timedelta) -> int | Replay:
    """Claim the key (returns the claim id) or return the stored response to replay."""
    for _ in range(3):
        try:
            with transaction(engine, write=True) as session:
                existing = session.exec(
                    select(IdempotencyRow).where(
                        IdempotencyRow.key_id == key_id, IdempotencyRow.idempotency_key == key
                    )
                ).first()
                now = utcnow()
                if existing is not None:
                    created = existing.created_at
                    if created.tzinfo is None:
                        created = created.replace(tzinfo=now.tzinfo)
                    expired = now - created > ttl
                    abandoned = existing.status_code is None and now - created > STALE_CLAIM
                    if not (expired or abandoned):
                        if existing.request_hash != digest:
                            raise Unprocessable(
                                "This Idempotency-Key was used with a different request body.",
                                errors=[{"header": "Idempotency-Key", "detail": "reused with another body"}],
                            )
                        if existing.status_code is None or existing.response_body is None:
                            raise Conflict(
                                "A request with this Idempotency-Key is still in progress.",
                                headers={"Retry-After": "1"},
                            )
                        return Replay(existing.status_code, existing.response_body)
                    session.delete(existing)
                    session.flush()
                row = IdempotencyRow(key_id=key_id, idempotency_key=key, request_hash=digest)
                session.add(row)
                session.flush()
                assert row.id is not None
                return row.id
        except IntegrityError:
            continue  # a concurrent request claimed it first: look again
    raise Conflict("A request with this Idempotency-Key is still in progress.", headers={"Retry-After": "1"})


def complete(session: Session, claim_id: int, *, status_code: int, body: bytes) -> None:
    row = session.get(IdempotencyRow, claim_id)
    if row is not None:
        row.status_code, row.response_body = status_code, body
        session.add(row)


def release(engine: Engine, claim_id: int) -> None:
    """Forget a claim whose request failed, so a corrected retry can run."""
    with transaction(engine, write=True) as session:
        session.exec(delete(IdempotencyRow).where(col(IdempotencyRow.id) == claim_id))
