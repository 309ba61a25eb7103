"""The engine's working rows, in integer kopecks, and the conversions at its edges."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from app.loanmath import LoanMathError
from app.servicing.model import SPLIT_PARTS

CENT = Decimal("0.01")


def to_kop(value: Decimal | int, name: str, *, positive: bool = False) -> int:
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise LoanMathError(f"{name} must be a Decimal (got {type(value).__name__})")
    dec = Decimal(value)
    if not dec.is_finite() or dec < 0 or (positive and dec == 0):
        raise LoanMathError(f"{name} must be {'> 0' if positive else '>= 0'} (got {dec})")
    scaled = dec.scaleb(2)
    if scaled != scaled.to_integral_value():
        raise LoanMathError(f"{name} must be a whole number of kopecks (got {dec})")
    return int(scaled)


def to_dec(kop: int) -> Decimal:
    # an integer scaled by 10**-2 is exact with exponent -2 (kopecks stay far below 28 digits)
    return Decimal(kop).scaleb(-2)


def as_day(value: object, name: str) -> date:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise LoanMathError(f"{name} must be a datetime.date")
    return value


@dataclass(slots=True, eq=False)  # rows are compared by identity
class Row:
    number: int
    due: date
    principal: int
    fee: int
    planned_interest: int
    interest: int = 0  # fixed when the row falls due
    deferred_interest: int = 0  # interest of holiday months carried to this row
    processed: bool = False
    paid_p: int = 0
    paid_i: int = 0
    paid_f: int = 0
    settled_on: date | None = None
    deferred: bool = False
    whole_period: bool = True  # on 30/360: the row's period is a whole month
    holiday: int | None = None  # the holiday (its index) that deferred this row

    @property
    def settled(self) -> bool:
        return (
            self.processed and self.paid_p == self.principal and self.paid_i == self.interest
            and self.paid_f == self.fee
        )


@dataclass(slots=True)
class Split:
    ref: int
    paid_on: date
    amount: int
    parts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SPLIT_PARTS, 0))


