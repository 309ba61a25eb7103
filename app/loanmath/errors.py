"""The one exception type of the loan-maths core."""

from __future__ import annotations

__all__ = ["LoanMathError"]


class LoanMathError(ValueError):
    """Invalid loan terms or an impossible request.

    A ``ValueError`` subclass so the HTTP layer can map it to 422 without
    importing anything from here but this class. ``field``, when known, names the
    argument at fault: a parameter (``"on"``, ``"monthly_income"``) or an attribute of
    the ``terms`` argument (``"terms.issue_date"``).
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field
