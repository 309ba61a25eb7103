"""Signed-in sessions of the risk dashboard: an opaque id in the cookie, never the API key.

A browser cannot send a Bearer header by itself, so signing in with a key opens a server-side
session: the cookie carries a random token, the database keeps only its SHA-256, the session
expires after ``LIFETIME``, ends at sign-out, and ends with its key (a revoked key's sessions
stop at once). Each session carries its own CSRF token for the sign-out form.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import Column, String
from sqlmodel import Field, Session, SQLModel, col, select

from app.apikeys.table import ApiKey
from app.core.clock import utcnow
from app.core.columns import UTCDateTime
from app.core.security import Principal
from schemas.identity import Role

LIFETIME = timedelta(hours=8)
#: The cookie of a signed-in session; it opens the dashboard pages only.
COOKIE = "loans_dashboard_session"


class DashboardSession(SQLModel, table=True):
    __tablename__ = "dashboard_session"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    csrf_token: str = Field(max_length=64)
    key_id: int = Field(foreign_key="api_key.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    ended_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(session: Session, principal: Principal) -> tuple[str, str]:
    """A new session for ``principal``: (the cookie's token, the session's CSRF token)."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
    now = utcnow()
    session.add(
        DashboardSession(
            token_hash=_digest(token), csrf_token=csrf, key_id=principal.key_id,
            created_at=now, expires_at=now + LIFETIME,
        )
    )
    session.flush()
    return token, csrf


def session_principal(session: Session, token: str) -> tuple[Principal, str] | None:
    """The caller of a live session and its CSRF token; None if unknown, expired, ended or its key revoked."""
    if not token or len(token) > 100:
        return None
    row = session.exec(
        select(DashboardSession, ApiKey)
        .join(ApiKey, col(ApiKey.id) == col(DashboardSession.key_id))
        .where(DashboardSession.token_hash == _digest(token))
    ).first()
    if row is None:
        return None
    web, key = row
    if web.ended_at is not None or web.expires_at <= utcnow() or key.revoked_at is not None or key.id is None:
        return None
    principal = Principal(
        key_id=key.id, name=key.name, role=Role(key.role), branch_id=key.branch_id, partner_id=key.partner_id
    )
    return principal, web.csrf_token


def end_session(session: Session, token: str) -> None:
    row = session.exec(select(DashboardSession).where(DashboardSession.token_hash == _digest(token))).first()
    if row is not None and row.ended_at is None:
        row.ended_at = utcnow()
        session.add(row)
