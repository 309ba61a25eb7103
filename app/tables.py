"""Every table model, imported in one place so Alembic and the tests see the full schema."""

from app.apikeys.table import ApiKey
from app.audit.table import AuditEvent
from app.products.table import ProductRow

__all__ = ["ApiKey", "AuditEvent", "ProductRow"]
