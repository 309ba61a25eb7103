"""``loans demo``: a realistic data set, so a new user sees a living system.

Idempotent: it adds what is missing and leaves what exists. It prints one API key per
role so the caller can start exploring at once.
"""

from __future__ import annotations

from sqlmodel import Session

from app.apikeys import service as keys
from app.products import repository as products
from schemas.identity import Role

DEMO_KEYS = [
    (Role.ADMIN, "demo-admin", None, None),
    (Role.RISK_OFFICER, "demo-risk-officer", None, None),
    (Role.BRANCH, "demo-branch-msk-01", "MSK-01", None),
    (Role.PARTNER, "demo-partner-electro", None, "ELECTRO-MARKET"),
]


def load(session: Session, *, seed: int = 2026) -> list[str]:
    """Load the demo data; returns lines to print for the operator."""
    lines = [f"catalogue: {', '.join(p.code for p in products.list_products(session))}"]
    for role, name, branch, partner in DEMO_KEYS:
        _, key = keys.create_key(session, role=role, name=name, branch_id=branch, partner_id=partner,
                                 actor="demo")
        lines.append(f"{role.value:<13} key ({name}): {key}")
    return lines
