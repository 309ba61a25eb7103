"""When a borrower's application for early repayment may take effect (353-FZ art. 11).

* Part 1: within 14 calendar days of receiving the money the borrower may repay the whole
  loan without notice, paying interest for the days actually used.
* Part 1.1: for a targeted loan (the money goes to a named purchase) the same holds for
  30 days, for the whole loan or a part of it.
* Part 2: otherwise the borrower notifies the lender at least 30 calendar days ahead; the
  contract (the product's ``early_repayment_notice_days``) may set a shorter period.
"""

from __future__ import annotations

from datetime import date, timedelta

NO_NOTICE_DAYS = 14
NO_NOTICE_DAYS_TARGETED = 30
MAX_NOTICE_DAYS = 30


def first_allowed(*, issue_date: date, applied_on: date, full: bool, targeted: bool, notice_days: int) -> date:
    """The earliest date an application filed on ``applied_on`` may name."""
    free = NO_NOTICE_DAYS_TARGETED if targeted else NO_NOTICE_DAYS
    if (full or targeted) and applied_on <= issue_date + timedelta(days=free):
        return applied_on
    return applied_on + timedelta(days=min(max(notice_days, 0), MAX_NOTICE_DAYS))
