"""Money conventions: ``Decimal`` kopecks, ROUND_HALF_UP, one shared context.

Every money value is a ``Decimal`` with exactly two places, or the same amount as an
integer number of kopecks (:func:`kopecks`, :func:`from_kopecks` convert exactly). The
schedules compute in kopecks (:mod:`~app.loanmath.amortisation`); the ``Decimal``
formulas that remain (the annuity instalment, PDN) run in :data:`CTX` (40 significant
digits), rounded once.
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

__all__ = [
    "CENT",
    "CTX",
    "MAX_MONEY",
    "ZERO",
    "as_decimal",
    "from_kopecks",
    "is_money",
    "kopecks",
    "money_arg",
    "to_money",
]

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
#: The largest amount of money the package takes as an argument (a loan, a fee, an income).
MAX_MONEY = Decimal(10) ** 12

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


def money_arg(value: object, name: str, *, positive: bool = False, field: str | None = None) -> Decimal:
    """``value`` checked as a money argument: a finite ``Decimal`` of whole kopecks in
    ``0 .. MAX_MONEY`` (``> 0`` when ``positive``), returned with two places.

    Refusals are :class:`LoanMathError` with ``field`` (default ``name``).
    """
    field = name if field is None else field
    try:
        dec = as_decimal(value, name)
    except LoanMathError as exc:
        raise LoanMathError(str(exc), field=field) from exc
    if positive and dec <= 0:
        raise LoanMathError(f"{name} must be > 0 (got {dec})", field=field)
    if dec < 0:
        raise LoanMathError(f"{name} must be >= 0 (got {dec})", field=field)
    if dec > MAX_MONEY:
        raise LoanMathError(f"{name} must be <= {MAX_MONEY}", field=field)
    kop = dec.quantize(CENT, rounding=ROUND_HALF_UP, context=CTX)
    if kop != dec:
        raise LoanMathError(f"{name} must be a whole number of kopecks (got {dec})", field=field)
    return kop


def is_money(value: Decimal) -> bool:
    """True when ``value`` has no digits beyond the kopeck."""
    return value == value.quantize(CENT, rounding=ROUND_HALF_UP, context=CTX)


def to_money(value: Decimal | int | str) -> Decimal:
    """Round to the kopeck, half up (the bank's rounding), returning 2 places."""
    if isinstance(value, float):
        raise LoanMathError("money must not be a float")
    try:
        return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP, context=CTX)
    except (ArithmeticError, TypeError, ValueError) as exc:  # not a number, not finite, > 38 digits
        raise LoanMathError(f"{value!r} is not an amount of money") from exc


def kopecks(value: Decimal) -> int:
    """A whole-kopeck ``Decimal`` as an integer number of kopecks (``12.30`` -> ``1230``)."""
    scaled = value.scaleb(2, context=CTX)
    whole = int(scaled)
    if whole != scaled:
        raise LoanMathError(f"{value} is not a whole number of kopecks")
    return whole


def from_kopecks(value: int) -> Decimal:
    """``value`` kopecks as a ``Decimal`` with exactly two places (``1230`` -> ``12.30``)."""
    return CTX.multiply(Decimal(value), CENT)
