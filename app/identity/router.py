"""``/v1/me``: the caller's role and scope."""

from __future__ import annotations

from fastapi import APIRouter

from app.core.errors import problem_responses
from app.deps import Caller, ServiceRoute
from schemas.identity import Me

router = APIRouter(prefix="/v1", tags=["identity"], route_class=ServiceRoute)


@router.get("/me", summary="The calling key's role and scope", responses=problem_responses(401, 429, 503))
def me(principal: Caller) -> Me:
    return Me(
        key_id=principal.key_id,
        name=principal.name,
        role=principal.role,
        branch_id=principal.branch_id,
        partner_id=principal.partner_id,
    )
