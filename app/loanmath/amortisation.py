"""The amortisation rule, written once, in integer kopecks.

Every schedule of the package runs on the pieces below: a new loan's schedule
(:func:`~app.loanmath.schedule.kopeck_schedule`, and :func:`~app.loanmath.schedule.build_schedule`,
which is its ``Decimal`` view), the rows after an early repayment, servicing's recomputed rows
(through :func:`~app.loanmath.schedule.amortize`), and, vectorised over loans, the batch path
(:mod:`~app.loanmath.batch` calls :func:`half_up`, :func:`row_interest`,
:func:`differentiated_step` and :func:`repaid` on int64 arrays).

The rule
--------
* Interest of a row is ONE exact expression rounded once, half up, to the kopeck:
  ``I = B * R * num / den`` with ``B`` the balance in kopecks, ``R = rn / rd`` the annual
  rate in percent as an exact ratio and ``num / den`` the period's factor (``1/1200`` for a
  whole 30/360 month, ``days/36000`` for a broken 30E/360 period, ``sum_y d_y/L_y / 100`` on
  actual/365): ``I = half_up(B * rn * num, rd * den)``.
* The first ``grace`` rows repay no principal (interest and fee only).
* A regular row repays what is due, ``A - I`` (annuity instalment ``A``) or the
  differentiated step ``S = half_up(P, m)``, never below 0 nor above the balance.
* The last row repays the whole balance, so principal sums exactly to the amount.
* ``payment = principal + interest + fee``.

The annuity instalment itself is :func:`~app.loanmath.schedule.annuity_payment` (a power,
evaluated once per schedule in a 40-digit ``Decimal`` context).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, overload

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    I64 = npt.NDArray[np.int64]

__all__ = [
    "WHOLE_MONTH",
    "Factor",
    "Rate",
    "Rows",
    "amortise",
    "differentiated_step",
    "half_up",
    "rate_ratio",
    "repaid",
    "row_interest",
]

#: The annual rate in percent as an exact ratio ``rn / rd`` (18.9 % -> ``(189, 10)``).
Rate = tuple[int, int]
#: A period's share of the annual rate: interest is ``balance * rate * num / den``.
Factor = tuple[int, int]
#: A whole scheduled month on 30/360: ``B * R / 1200``.
WHOLE_MONTH: Factor = (1, 1200)

# The pieces take an ``int`` (one loan) or an int64 array (the batch path, loans side by side).


@overload
def half_up(num: int, den: int) -> int: ...
@overload
def half_up(num: I64, den: I64 | int) -> I64: ...
def half_up(num: Any, den: Any) -> Any:
    """``num / den`` rounded half up to an integer, for ``num >= 0`` and ``den > 0``.

    The one rounding of the package: ``(2 num + den) // (2 den)``, exact on Python ints
    of any size and on int64 arrays within their range.

    Examples
    --------
    >>> half_up(5, 2), half_up(7, 3), half_up(0, 9)
    (3, 2, 0)
    """
    return (2 * num + den) // (2 * den)


def rate_ratio(annual_rate: Decimal) -> Rate:
    """``annual_rate`` (percent, a finite Decimal) as the exact ratio ``(rn, rd)``."""
    return annual_rate.as_integer_ratio()


@overload
def row_interest(balance: int, rate: Rate, factor: Factor) -> int: ...
@overload
def row_interest(balance: I64, rate: tuple[I64, int], factor: Factor) -> I64: ...
def row_interest(balance: Any, rate: Any, factor: Factor) -> Any:
    """Interest in kopecks of ``balance`` kopecks over a period: ``half_up(B rn num, rd den)``.

    Examples
    --------
    >>> row_interest(1_000_000, rate_ratio(Decimal("8")), WHOLE_MONTH)  # 10,000.00 at 8 %
    6667
    """
    rn, rd = rate
    num, den = factor
    return half_up(balance * rn * num, rd * den)


@overload
def differentiated_step(amount: int, months: int) -> int: ...
@overload
def differentiated_step(amount: I64, months: I64) -> I64: ...
def differentiated_step(amount: Any, months: Any) -> Any:
    """The differentiated principal step in kopecks: ``amount / months`` rounded half up."""
    return half_up(amount, months)


@overload
def repaid(due: int, balance: int) -> int: ...
@overload
def repaid(due: I64, balance: I64, minimum: Callable[..., I64], maximum: Callable[..., I64]) -> I64: ...
def repaid(due: Any, balance: Any, minimum: Callable[..., Any] = min, maximum: Callable[..., Any] = max) -> Any:
    """Principal a regular row repays: ``due`` clamped to ``[0, balance]``.

    ``due`` is ``A - I`` for an annuity (below 0 when a long actual/365 period's interest
    exceeds the instalment: the row then repays nothing) or the differentiated step; above
    the balance (a small loan repaid early) the row repays the balance. The batch path
    passes ``np.minimum`` and ``np.maximum``.
    """
    return minimum(maximum(due, 0), balance)


@dataclass(frozen=True, slots=True)
class Rows:
    """Schedule rows as parallel columns of kopecks; ``balance[k]`` is after row ``k``."""

    principal: list[int]
    interest: list[int]
    payment: list[int]
    balance: list[int]


def amortise(
    balance: int,
    rate: Rate,
    factors: Sequence[Factor] | None,
    count: int,
    *,
    grace: int,
    instalment: int | None,
    step: int | None,
    fee: int,
    stop_when_paid: bool = False,
) -> Rows:
    """Run ``balance`` kopecks down over ``count`` rows: the engine behind every schedule.

    Parameters
    ----------
    balance : int
        Principal outstanding before the first row, kopecks.
    rate : (int, int)
        The annual rate in percent as an exact ratio (:func:`rate_ratio`).
    factors : sequence of (int, int) or None
        Each row's period factor; ``None``: every row is a whole 30/360 month.
    count : int
        Rows to run; the last one repays the balance.
    grace : int
        Leading rows that repay no principal.
    instalment, step : int or None
        Exactly one is given: the annuity instalment ``A`` or the differentiated step ``S``.
    fee : int
        Added to every row's payment.
    stop_when_paid : bool
        Stop after the row that clears the balance (early repayment, reduce the term).

    Returns
    -------
    Rows

    Notes
    -----
    ``I_k = half_up(B_{k-1} rn num_k, rd den_k)``; ``P_k = 0`` for ``k <= grace``,
    ``P_k = clamp(A - I_k or S, 0, B_{k-1})`` for a regular row and ``P_n = B_{n-1}``;
    ``B_k = B_{k-1} - P_k``; payment ``P_k + I_k + fee``.
    """
    principal_col: list[int] = []
    interest_col: list[int] = []
    payment_col: list[int] = []
    balance_col: list[int] = []
    annuity = instalment is not None
    target = (instalment if annuity else step) or 0
    last = count - 1
    for j in range(count):
        interest = row_interest(balance, rate, WHOLE_MONTH if factors is None else factors[j])
        if j == last:
            paid = balance
        elif j < grace:
            paid = 0
        else:
            paid = repaid(target - interest if annuity else target, balance)
        balance -= paid
        principal_col.append(paid)
        interest_col.append(interest)
        payment_col.append(paid + interest + fee)
        balance_col.append(balance)
        if stop_when_paid and not balance:
            break
    return Rows(principal_col, interest_col, payment_col, balance_col)
