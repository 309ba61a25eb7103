"""The state machine's moves: every transition checked (409 otherwise) and recorded.

Each move takes the row lock its caller asked for (``SELECT ... FOR UPDATE`` on
PostgreSQL; ``BEGIN IMMEDIATE`` serialises SQLite writers) and writes the application's
history and the audit trail.
"""

from __future__ import annotations

from sqlalchemy import Connection
from sqlmodel import Session

from app.applications import repository
from app.applications.states import PHRASES, TRANSITIONS, allowed
from app.applications.table import ApplicationEventRow, ApplicationRow
from app.audit import service as audit
from app.core.clock import utcnow
from app.core.context import Context
from app.core.errors import Conflict, NotFound
from app.core.scope import get_visible
from app.core.security import Principal
from schemas.applications import Application, ApplicationStatus, RiskDecisionIn


def _record(
    session: Session,
    row: ApplicationRow,
    to: ApplicationStatus,
    ctx: Context,
    reason: str | None,
    *,
    frm: str | None,
) -> None:
    assert row.id is not None
    session.add(
        ApplicationEventRow(
            application_id=row.id,
            from_status=frm,
            to_status=to.value,
            actor=ctx.principal.name,
            role=ctx.principal.role.value,
            reason=reason,
        )
    )
    audit.record(
        session,
        actor=ctx.principal.actor,
        action=f"application.{to.value}",
        entity="application",
        entity_id=row.id,
        detail={"from": frm, "reason": reason},
    )


def transition(
    session: Session,
    row: ApplicationRow,
    action: str,
    ctx: Context,
    reason: str | None,
    to: ApplicationStatus | None = None,
) -> None:
    current = ApplicationStatus(row.status)
    if not allowed(action, current):
        raise Conflict(f"Cannot {PHRASES[action]} an application that is {current.value}.")
    target = to or TRANSITIONS[action][1]
    assert target is not None
    row.status = target.value
    row.version += 1
    row.updated_at = utcnow()
    session.add(row)
    _record(session, row, target, ctx, reason, frm=current.value)



def get_row(
    session: Session, application_id: int, principal: Principal, *, lock: bool = False
) -> ApplicationRow:
    return get_visible(session, ApplicationRow, application_id, principal, what="application", lock=lock)


def get(*, conn: Connection, application_id: int, principal: Principal) -> Application:
    """One application as the caller may see it (404 when it is not theirs, as if absent)."""
    found = repository.read(conn, application_id, principal)
    if found is None:
        raise NotFound(f"No application with id {application_id!r}.")
    return found



def risk_decision(
    *, session: Session, application_id: int, body: RiskDecisionIn, ctx: Context
) -> Application:
    row = get_row(session, application_id, ctx.principal, lock=True)
    action = "risk_approve" if body.decision == "approve" else "risk_decline"
    transition(session, row, action, ctx, body.reason)
    row.decision = body.decision
    row.decision_reasons = [*(row.decision_reasons or []), f"risk officer: {body.reason}"]
    session.flush()
    return repository.to_schema(session, row)


def withdraw(*, session: Session, application_id: int, reason: str | None, ctx: Context) -> Application:
    row = get_row(session, application_id, ctx.principal, lock=True)
    transition(session, row, "withdraw", ctx, reason or "withdrawn by the borrower")
    session.flush()
    return repository.to_schema(session, row)
