"""The one exception type of the loan-maths core."""

from __future__ import annotations

__all__ = ["LoanMathError"]


class LoanMathError(ValueError):
    """Invalid loan terms or an impossible request.

    A ``ValueError`` subclass so the HTTP layer can map it to 422 without
    importing anything from here but this class.
    """
