"""A new loan's schedule in integer kopecks: what a quote needs, without a Decimal per value.

:func:`~app.loanmath.schedule.build_schedule` builds every row from ``Decimal`` operations
and ``Payment`` objects; a quote only turns them into text again. Here the same rows are
computed in Python integers. Interest of a row is the exact rational
``balance * annual_rate * num / den`` (``annual_rate = rn / rd``) rounded half up once,
``(2 p + q) // (2 q)``, which is what the Decimal path computes whenever its 40-digit
quotient cannot land on the other side of a half kopeck: the exact quotient is at least
``1 / (2 q)`` kopeck from any half unless it is one, and 40 digits resolve far finer than
that while ``rd <= 10**10`` (longer rates are left to the Decimal path). The instalment and
the differentiated step come from the Decimal formulas themselves; the PSK is solved from
the same floats (``k / 100`` and ``float(Decimal)`` are both the float nearest the amount).
``tests/loanmath/test_kopecks.py`` holds every field equal to ``build_schedule``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache

from .calendar import payment_dates
from .model import DayCount, LoanTerms, Method
from .psk import monthly_flows_psk
from .schedule import annuity_payment, schedule_factors, validate_terms

__all__ = ["KopeckSchedule", "kopeck_schedule"]

_MAX_RATE_DENOMINATOR = 10**10


@dataclass(frozen=True, slots=True)
class KopeckSchedule:
    """A schedule as parallel columns of kopecks; ``dates`` are ISO strings.

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


@lru_cache(maxsize=256)
def _iso_dates(issue_date: date, count: int) -> tuple[str, ...]:
    # a pure function of (issue date, term): quotes ask for today's date and a few terms
    return tuple(d.isoformat() for d in payment_dates(issue_date, count))


def _kop(value: Decimal) -> int:
    return int(value.scaleb(2))


def kopeck_schedule(terms: LoanTerms) -> KopeckSchedule | None:
    """``build_schedule(terms)`` in kopecks, or ``None`` when the rate has more decimals than
    the integer path is proven for (the caller then uses the Decimal path). Invalid terms
    raise the same :class:`~app.loanmath.errors.LoanMathError` as ``build_schedule``.
    """
    t = validate_terms(terms)
    rn, rd = t.annual_rate.as_integer_ratio()
    if rd > _MAX_RATE_DENOMINATOR:
        return None
    n, grace = t.term_months, t.grace_months
    repaying = n - grace
    amount = _kop(t.amount)
    fee = _kop(t.monthly_fee)
    instalment: int | None = None
    step = 0
    if t.method is Method.ANNUITY:
        instalment = _kop(annuity_payment(t.amount, t.annual_rate, repaying))
    else:
        step = (2 * amount + repaying) // (2 * repaying)  # round half up of amount / repaying
    if t.day_count is DayCount.THIRTY_360:
        dens = None  # every row is a whole 30/360 month: interest = B * R / 1200
    else:
        dates = payment_dates(t.issue_date, n)
        dens = [(int(num), int(den)) for num, den in schedule_factors(t.issue_date, dates, t.day_count)]

    principal: list[int] = []
    interest_col: list[int] = []
    payment: list[int] = []
    balance_col: list[int] = []
    balance = amount
    last = n - 1
    inst = instalment or 0
    full = inst + fee
    q1200 = 2 * rd * 1200
    for j in range(n):
        if dens is None:
            interest = (2 * balance * rn + rd * 1200) // q1200
        else:
            num, den = dens[j]
            q = rd * den
            interest = (2 * balance * rn * num + q) // (2 * q)
        if j < grace and j != last:
            paid = 0
            pay = interest + fee
        elif instalment is not None and j != last and interest <= inst:
            paid = inst - interest
            pay = full
            if paid > balance:
                paid = balance
                pay = paid + interest + fee
        else:
            if j == last:
                paid = balance
            elif instalment is None:
                paid = step if step <= balance else balance
            else:  # annuity row whose interest exceeds the instalment (actual/365)
                paid = 0
            pay = paid + interest + fee
        balance -= paid
        principal.append(paid)
        interest_col.append(interest)
        payment.append(pay)
        balance_col.append(balance)

    upfront = _kop(t.upfront_fee)
    total_payments = sum(payment)
    flows = [(upfront - amount) / 100]
    cache: dict[int, float] = {}
    for p in payment:
        v = cache.get(p)
        if v is None:
            v = cache[p] = p / 100
        flows.append(v)
    psk_amount = total_payments + upfront - amount
    return KopeckSchedule(
        dates=_iso_dates(t.issue_date, n),
        principal=principal,
        interest=interest_col,
        payment=payment,
        balance=balance_col,
        fee=fee,
        regular_payment=None if instalment is None else instalment + fee,
        total_interest=sum(interest_col),
        total_payments=total_payments,
        psk_percent=monthly_flows_psk(flows, psk_amount / 100, start=float(t.annual_rate) / 1200.0),
        psk_amount=psk_amount,
    )
