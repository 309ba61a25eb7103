"""``/v1/me``: the caller's role and scope."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from app.apikeys.service import Principal
from app.errors import problem_responses
from app.security import ALL_ROLES, require
from schemas.identity import Me

router = APIRouter(prefix="/v1", tags=["identity"])


@router.get("/me", summary="The calling key's role and scope", responses=problem_responses(401, 429, 503))
def me(principal: Annotated[Principal, require(*ALL_ROLES)]) -> Me:
    return Me(
        key_id=principal.key_id,
        name=principal.name,
        role=principal.role,
        branch_id=principal.branch_id,
        partner_id=principal.partner_id,
    )
