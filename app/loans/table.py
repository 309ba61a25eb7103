"""The loan book's tables, defined in :mod:`app.models.loan_book` (read by other domains too)."""

from app.models.loan_book import (
    ZERO,
    BookCloseRow,
    BookDateRow,
    BucketTransitionRow,
    EarlyRepaymentRow,
    LoanInstalmentRow,
    LoanPaymentRow,
    LoanRow,
    MonthEndRow,
    PaymentHolidayRow,
)

__all__ = [
    "ZERO",
    "BookCloseRow",
    "BookDateRow",
    "BucketTransitionRow",
    "EarlyRepaymentRow",
    "LoanInstalmentRow",
    "LoanPaymentRow",
    "LoanRow",
    "MonthEndRow",
    "PaymentHolidayRow",
]
