"""Loan servicing as Federal Law 353-FZ requires: one engine that every reader of the book uses.

Pure Python over the exact-maths core (``app.loanmath``): no web, database or validation
framework. The state of a loan on any date is :func:`replay` of its contract and its
history; the close of business stores it, and reads of the book aggregate what it stored.
"""

from app.servicing.book import BookState, book_state, needs_replay, roll_forward
from app.servicing.delinquency import BUCKETS, FPD_DAYS, PROBLEM_DPD, bucket_index, dpd_bucket
from app.servicing.engine import replay
from app.servicing.model import (
    PENALTY_CAP,
    EarlyRepaymentOutcome,
    EarlyRepaymentRequest,
    History,
    Holiday,
    Instalment,
    InstalmentState,
    Ledger,
    LoanState,
    Payoff,
    PenaltyBasis,
    Receipt,
    ReceiptSplit,
    Revision,
    Terms,
)
from app.servicing.payoff import payoff, payoff_of

__all__ = [
    "BUCKETS",
    "FPD_DAYS",
    "PENALTY_CAP",
    "PROBLEM_DPD",
    "BookState",
    "EarlyRepaymentOutcome",
    "EarlyRepaymentRequest",
    "History",
    "Holiday",
    "Instalment",
    "InstalmentState",
    "Ledger",
    "LoanState",
    "Payoff",
    "PenaltyBasis",
    "Receipt",
    "ReceiptSplit",
    "Revision",
    "Terms",
    "book_state",
    "bucket_index",
    "dpd_bucket",
    "needs_replay",
    "payoff",
    "payoff_of",
    "replay",
    "roll_forward",
]
