"""The application state machine: which transition each action may make."""

from __future__ import annotations

from schemas.applications import ApplicationStatus as S

# action -> (allowed from-states, to-state); `evaluate` has outcome-dependent targets.
TRANSITIONS: dict[str, tuple[frozenset[S], S | None]] = {
    "evaluate": (frozenset({S.DOCUMENTS_REQUIRED}), None),
    "risk_approve": (frozenset({S.REFERRED}), S.APPROVED),
    "risk_decline": (frozenset({S.REFERRED}), S.DECLINED),
    "issue_contract": (frozenset({S.APPROVED}), S.CONTRACT_ISSUED),
    "sign": (frozenset({S.CONTRACT_ISSUED}), S.SIGNED),
    "disburse": (frozenset({S.SIGNED}), S.DISBURSED),
    "withdraw": (
        frozenset({S.DOCUMENTS_REQUIRED, S.APPROVED, S.REFERRED, S.CONTRACT_ISSUED, S.SIGNED}),
        S.WITHDRAWN,
    ),
}

#: What each action does, as a sentence can say it: "Cannot <phrase> an application that is ...".
PHRASES = {
    "evaluate": "assess",
    "risk_approve": "approve",
    "risk_decline": "decline",
    "issue_contract": "issue a contract for",
    "sign": "sign",
    "disburse": "disburse",
    "withdraw": "withdraw",
}

OUTCOME_STATUS = {"approve": S.APPROVED, "decline": S.DECLINED, "refer": S.REFERRED}


def allowed(action: str, current: S) -> bool:
    return current in TRANSITIONS[action][0]
