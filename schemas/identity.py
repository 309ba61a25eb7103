"""Who is calling: roles and scopes of API keys."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field


class Role(StrEnum):
    ADMIN = "admin"
    BRANCH = "branch"
    PARTNER = "partner"
    RISK_OFFICER = "risk_officer"


class Me(BaseModel):
    """The caller's identity, so a front-end can check its key before real work."""

    key_id: int
    name: str
    role: Role
    branch_id: str | None = Field(None, description="Set for `branch` keys: the only branch they see.")
    partner_id: str | None = Field(None, description="Set for `partner` keys: the only partner they see.")


class ApiKeyInfo(BaseModel):
    id: int
    name: str
    role: Role
    branch_id: str | None
    partner_id: str | None
    prefix: str = Field(description="The key's first characters, to recognise it; never the key.")
    created_at: datetime
    revoked_at: datetime | None
