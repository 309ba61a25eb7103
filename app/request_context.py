"""The service-layer context of a request: who acts, on which business day, with which
scorecard and decision policy. Routers build it; services take it as a plain value."""

from __future__ import annotations

from fastapi import Request

from app.apikeys.service import Principal
from app.applications.service import Context
from app.business_date import business_date


def request_context(request: Request, principal: Principal) -> Context:
    settings = request.app.state.settings
    return Context(
        principal=principal,
        today=business_date(request),
        scorecard_path=settings.scorecard_path,
        policy_path=settings.decision_policy_path,
    )
