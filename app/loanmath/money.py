"""Money conventions: ``Decimal`` kopecks, ROUND_HALF_UP, one shared context.

Every money value is a ``Decimal`` with exactly two places. Intermediate
expressions run in :data:`CTX` (40 significant digits) so that one exact
expression is rounded once, which is what keeps the Decimal path and the
integer batch path bit-identical.
"""

from __future__ import annotations

from decimal import (
    ROUND_HALF_UP,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
)

from .errors import LoanMathError

__all__ = ["CENT", "CTX", "ZERO", "as_decimal", "is_money", "to_money"]

CENT = Decimal("0.01")
ZERO = Decimal("0.00")

#: Context for intermediate arithmetic; built once (creating contexts is not free).
CTX = Context(
    prec=40,
    rounding=ROUND_HALF_UP,
    traps=[InvalidOperation, DivisionByZero, Overflow],
)


def as_decimal(value: object, name: str) -> Decimal:
    """Return ``value`` as a finite ``Decimal``; floats are refused (they are lossy)."""
    if isinstance(value, bool) or not isinstance(value, (Decimal, int)):  # a tuple: faster than a union
        raise LoanMathError(f"{name} must be a Decimal (got {type(value).__name__})")
    dec = Decimal(value)
    if not dec.is_finite():
        raise LoanMathError(f"{name} must be finite (got {dec})")
    return dec


def is_money(value: Decimal) -> bool:
    """True when ``value`` has no digits beyond the kopeck."""
    return value == value.quantize(CENT, rounding=ROUND_HALF_UP, context=CTX)


def to_money(value: Decimal | int | str) -> Decimal:
    """Round to the kopeck, half up (the bank's rounding), returning 2 places."""
    if isinstance(value, float):
        raise LoanMathError("money must not be a float")
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP, context=CTX)
