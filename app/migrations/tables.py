"""Every table model, imported in one place so Alembic and the tests see the full schema."""

from app.apikeys.table import ApiKey
from app.apikeys.web_session import DashboardSession
from app.applications.table import ApplicationDocumentRow, ApplicationEventRow, ApplicationRow
from app.audit.table import AuditEvent
from app.core.idempotency import IdempotencyRecord
from app.managers.table import ManagerPlanRow, ManagerRow
from app.models.loan_book import (
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
from app.pricing.table import PskLimitTableRow
from app.products.table import ProductRow

__all__ = [
    "ApiKey",
    "ApplicationDocumentRow",
    "ApplicationEventRow",
    "ApplicationRow",
    "AuditEvent",
    "BookCloseRow",
    "BookDateRow",
    "BucketTransitionRow",
    "DashboardSession",
    "EarlyRepaymentRow",
    "IdempotencyRecord",
    "LoanInstalmentRow",
    "LoanPaymentRow",
    "LoanRow",
    "ManagerPlanRow",
    "ManagerRow",
    "MonthEndRow",
    "PaymentHolidayRow",
    "ProductRow",
    "PskLimitTableRow",
]
