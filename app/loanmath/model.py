"""Value types of the loan-maths core: enums, terms, schedule rows, schedules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

__all__ = [
    "DayCount",
    "EarlyRepaymentMode",
    "KopeckSchedule",
    "LoanTerms",
    "Method",
    "Payment",
    "Schedule",
]


class Method(StrEnum):
    """How principal is repaid."""

    ANNUITY = "annuity"
    DIFFERENTIATED = "differentiated"


class DayCount(StrEnum):
    """How interest accrues between two dates."""

    THIRTY_360 = "30/360"
    ACTUAL_365 = "actual/365"


class EarlyRepaymentMode(StrEnum):
    """What a partial early repayment reduces."""

    REDUCE_TERM = "reduce_term"
    REDUCE_PAYMENT = "reduce_payment"


@dataclass(frozen=True, slots=True)
class LoanTerms:
    """Contract terms. ``annual_rate`` is in PERCENT per year (18.9 means 18.9 %)."""

    amount: Decimal
    annual_rate: Decimal
    term_months: int
    issue_date: date
    method: Method = Method.ANNUITY
    day_count: DayCount = DayCount.THIRTY_360
    upfront_fee: Decimal = Decimal("0")
    monthly_fee: Decimal = Decimal("0")
    grace_months: int = 0


@dataclass(frozen=True, slots=True)
class Payment:
    """One schedule row; ``payment = principal + interest + fee``, ``balance`` is after it."""

    number: int
    date: date
    principal: Decimal
    interest: Decimal
    fee: Decimal
    payment: Decimal
    balance: Decimal


@dataclass(frozen=True, slots=True)
class Schedule:
    """A repayment schedule with its totals and its full cost of credit.

    ``regular_payment`` is the annuity instalment plus the monthly fee
    (``None`` for differentiated schedules, whose payments vary).
    """

    regular_payment: Decimal | None
    payments: tuple[Payment, ...]
    total_interest: Decimal
    total_payments: Decimal
    psk_percent: Decimal
    psk_amount: Decimal


@dataclass(frozen=True, slots=True)
class KopeckSchedule:
    """A :class:`Schedule` as parallel columns of integer kopecks; ``dates`` are ISO strings.

    ``payment[k] = principal[k] + interest[k] + fee``; ``balance[k]`` is after row ``k``.
    """

    dates: tuple[str, ...]
    principal: list[int]
    interest: list[int]
    payment: list[int]
    balance: list[int]
    fee: int
    regular_payment: int | None
    total_interest: int
    total_payments: int
    psk_percent: Decimal
    psk_amount: int


_NEW = object.__new__
_SETTERS = tuple(
    Payment.__dict__[name].__set__
    for name in ("number", "date", "principal", "interest", "fee", "payment", "balance")
)


def make_payment(
    number: int,
    when: date,
    principal: Decimal,
    interest: Decimal,
    fee: Decimal,
    payment: Decimal,
    balance: Decimal,
) -> Payment:
    """Build a :class:`Payment` through its slot descriptors.

    Same object as ``Payment(...)`` (still frozen, equal, hashable) but ~4x
    cheaper than the frozen dataclass ``__init__`` (which goes through
    ``object.__setattr__`` per field); it is the hot spot of a 360-row schedule.
    """
    s0, s1, s2, s3, s4, s5, s6 = _SETTERS
    obj = _NEW(Payment)
    s0(obj, number)
    s1(obj, when)
    s2(obj, principal)
    s3(obj, interest)
    s4(obj, fee)
    s5(obj, payment)
    s6(obj, balance)
    return obj
