"""The credit manager's path: file, check documents, rate, decide, contract, sign, disburse.

The work lives in ``filing``, ``assessment``, ``transitions`` and ``contract``; this module
keeps the one name other packages import (``applications.get_row``, ``.transition`` ...).
"""

from __future__ import annotations

from app.applications.assessment import Assessment, Facts, assess, fraud_signals
from app.applications.contract import contract_terms, get_contract_row, issue_contract, sign
from app.applications.filing import MIN_WORKING_AGE, add_document, channel_of, file
from app.applications.transitions import get, get_row, risk_decision, transition, withdraw
from app.audit import service as audit  # the module tests patch through this name

__all__ = [
    "MIN_WORKING_AGE",
    "Assessment",
    "Facts",
    "add_document",
    "assess",
    "audit",
    "channel_of",
    "contract_terms",
    "file",
    "fraud_signals",
    "get",
    "get_contract_row",
    "get_row",
    "issue_contract",
    "risk_decision",
    "sign",
    "transition",
    "withdraw",
]
