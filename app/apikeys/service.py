"""Issuing, listing, revoking and recognising API keys.

Keys carry 256 bits of randomness, so a fast SHA-256 of the key is a safe lookup hash
(slow password hashes protect low-entropy secrets; these are not).
"""

from __future__ import annotations

import secrets

from sqlmodel import Session, select

from app.apikeys.table import ApiKey
from app.audit import service as audit
from app.core.clock import utcnow
from app.core.security import KEY_PREFIX, Principal, hash_key
from schemas.identity import ApiKeyInfo, Role


class ApiKeyRequestError(ValueError):
    """A key request that cannot be honoured (bad role/scope combination, unknown key)."""


def create_key(
    session: Session, *, role: Role, name: str | None = None, branch_id: str | None = None,
    partner_id: str | None = None, actor: str = "cli",
) -> tuple[ApiKey, str]:
    """Create a key; returns the row and the key itself, which is never stored."""
    if role is Role.BRANCH and not branch_id:
        raise ApiKeyRequestError("a branch key needs --branch")
    if role is Role.PARTNER and not partner_id:
        raise ApiKeyRequestError("a partner key needs --partner")
    if role is not Role.BRANCH and branch_id:
        raise ApiKeyRequestError("--branch applies only to branch keys")
    if role is not Role.PARTNER and partner_id:
        raise ApiKeyRequestError("--partner applies only to partner keys")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(
        name=name or f"{role.value}-{branch_id or partner_id or 'key'}",
        role=role.value,
        branch_id=branch_id,
        partner_id=partner_id,
        prefix=key[: len(KEY_PREFIX) + 6],
        key_hash=hash_key(key),
    )
    session.add(row)
    session.flush()
    assert row.id is not None
    audit.record(
        session, actor=actor, action="api_key.created", entity="api_key", entity_id=row.id,
        detail={"role": role.value, "name": row.name, "branch_id": branch_id, "partner_id": partner_id},
    )
    return row, key


def list_keys(session: Session) -> list[ApiKeyInfo]:
    rows = session.exec(select(ApiKey).order_by(ApiKey.id)).all()  # type: ignore[arg-type]
    return [ApiKeyInfo.model_validate(r, from_attributes=True) for r in rows]


def revoke_key(session: Session, key_id: int, *, actor: str = "cli") -> ApiKey:
    row = session.get(ApiKey, key_id)
    if row is None:
        raise ApiKeyRequestError(f"no API key with id {key_id}")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.add(row)
        audit.record(session, actor=actor, action="api_key.revoked", entity="api_key", entity_id=key_id)
    return row


def principal_for(session: Session, key: str) -> Principal | None:
    """The caller a presented key stands for, or None if unknown or revoked."""
    if not key.startswith(KEY_PREFIX) or len(key) > 200:
        return None
    row = session.exec(select(ApiKey).where(ApiKey.key_hash == hash_key(key))).first()
    if row is None or row.revoked_at is not None or row.id is None:
        return None
    return Principal(
        key_id=row.id, name=row.name, role=Role(row.role), branch_id=row.branch_id,
        partner_id=row.partner_id,
    )
