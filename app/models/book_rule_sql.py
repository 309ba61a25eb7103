"""The delinquency rule of ``app.servicing.delinquency`` as SQL over the stored state.

Days past due grow by one a day from the oldest unpaid due date (``overdue_since_day``,
its day number), and buckets follow from the rule's own bounds. The close of business
(``app.loans.close_in_sql``) writes these into the book; the risk reads
(``app.risk.loan_facts``) use them to read a state the close has not yet brought to the
date. One expression for both, so the two can never count a loan differently.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import and_, case, literal

from app.models.loan_book import LoanRow
from app.servicing.delinquency import BUCKET_UPPER_DPD, BUCKETS, PROBLEM_DPD

LOAN = LoanRow.__table__  # type: ignore[attr-defined]


def days_past_due_on(day: date) -> Any:
    """Days past due at the end of ``day`` of a loan with no event since its stored date."""
    since, ordinal = LOAN.c.overdue_since_day, day.toordinal()
    return case((and_(since.is_not(None), since < ordinal), literal(ordinal) - since), else_=0)


def bucket_index_of(dpd: Any) -> Any:
    whens = [(dpd <= upper, i) for i, upper in enumerate(BUCKET_UPPER_DPD) if upper is not None]
    return case(*whens, else_=len(BUCKETS) - 1)


def bucket_of(dpd: Any) -> Any:
    whens = [(dpd <= upper, BUCKETS[i]) for i, upper in enumerate(BUCKET_UPPER_DPD) if upper is not None]
    return case(*whens, else_=BUCKETS[-1])


def status_of(dpd: Any) -> Any:
    return case((dpd > PROBLEM_DPD, "problem"), else_="active")
