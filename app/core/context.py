"""What a service call runs with: who acts, on which business day, with which models.

Routes make it from the request (``app.deps``), the CLI and batch jobs make it
themselves; services take it as a plain value and never look at a request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from app.core.security import Principal


@dataclass(frozen=True, slots=True)
class Context:
    principal: Principal
    today: date
    scorecard_path: str | None = None
    policy_path: str | None = None
