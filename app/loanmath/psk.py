"""Full cost of credit (ПСК) under Federal Law 353-FZ, art. 6 parts 2 and 2.1.

The law: ``ПСК = i * ЧБП * 100`` where ``i`` is the smallest positive root of

    sum_k  ДП_k / ((1 + e_k * i) * (1 + i) ** q_k) = 0,

``q_k`` is the number of whole base periods from the issue to flow ``k`` and
``e_k`` the remaining part of a base period as a fraction of it. The base
period here is one calendar month (ЧБП = 12) and, because the law takes the
calendar year as 365 days, a base period has 365/12 days when ``e_k`` is
expressed in days.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import numpy.typing as npt

from .calendar import add_months, check_args, whole_months_between
from .errors import LoanMathError
from .money import CTX, as_decimal

__all__ = [
    "BASE_PERIODS_PER_YEAR",
    "DAYS_IN_BASE_PERIOD",
    "monthly_flows_psk",
    "periods_psk",
    "psk",
    "psk_base_rate",
    "psk_periods",
]

BASE_PERIODS_PER_YEAR = 12
#: The law counts a calendar year as 365 days, so one monthly base period is 365/12 days.
DAYS_IN_BASE_PERIOD = 365.0 / BASE_PERIODS_PER_YEAR
_PSK_PLACES = Decimal("0.001")
_MAX_RATE = 1.0e6  # per base period; far beyond any real loan
_FloatArr = npt.NDArray[np.float64]


def psk_periods(issue_date: date, when: date) -> tuple[int, float]:
    """``(q_k, e_k)`` of a flow on ``when``.

    ``q_k`` counts whole calendar months (with month-end clamping, so a payment
    exactly ``k`` months on has ``q_k = k`` and ``e_k = 0``); ``e_k`` is the
    days left after those months divided by 365/12.
    """
    q = whole_months_between(issue_date, when)
    days = (when - add_months(issue_date, q)).days
    return q, days / DAYS_IN_BASE_PERIOD


def _prepare(
    issue_date: date, flows: Sequence[tuple[date, Decimal]]
) -> tuple[_FloatArr, _FloatArr, _FloatArr]:
    check_args(("issue_date", issue_date))
    if not flows:
        raise LoanMathError("PSK needs at least two cash flows")
    n = len(flows)
    amounts = np.empty(n)
    qs = np.empty(n)
    es = np.empty(n)
    for k, (when, value) in enumerate(flows):
        check_args(("flow date", when))
        if when < issue_date:
            raise LoanMathError(f"cash flow on {when} precedes the issue date {issue_date}")
        q, e = psk_periods(issue_date, when)
        amounts[k] = float(as_decimal(value, "cash flow"))
        qs[k] = q
        es[k] = e
    if not (amounts < 0).any() or not (amounts > 0).any():
        raise LoanMathError("PSK needs both an outflow (the loan) and inflows (payments)")
    return amounts, qs, es


def _npv_d(i: float, a: _FloatArr, q: _FloatArr, e: _FloatArr | None) -> tuple[float, float]:
    """NPV and its derivative in ``i``; ``e is None`` means every ``e_k`` is 0."""
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        if e is None:
            terms = a * np.exp(q * -np.log1p(i))
            return float(terms.sum()), float(-(terms @ q) / (1.0 + i))
        den = 1.0 + e * i
        terms = a * (1.0 + i) ** -q / den
        return float(terms.sum()), float(-(terms * (q / (1.0 + i) + e / den)).sum())


def _horner_npv_d(a: list[float]) -> Callable[[float], tuple[float, float]]:
    """NPV and derivative of flows on whole periods ``0..n`` (``q_k = k``, ``e_k = 0``).

    With ``v = 1/(1+i)`` the NPV is the polynomial ``P(v) = sum a_k v^k`` and
    ``dNPV/di = -v^2 P'(v)``; Horner's rule evaluates both in one pass of plain floats,
    which for a short schedule beats numpy's per-call overhead several times over.
    """
    coefficients = a[::-1]

    def npv_d(i: float) -> tuple[float, float]:
        v = 1.0 / (1.0 + i)
        p = 0.0
        dp = 0.0
        for c in coefficients:
            dp = dp * v + p
            p = p * v + c
        return p, -v * v * dp

    return npv_d


#: Below this many flows the pure-float Horner NPV is cheaper than numpy's (measured).
_HORNER_MAX_FLOWS = 96


def _numpy_npv_d(a: _FloatArr, q: _FloatArr, e: _FloatArr) -> Callable[[float], tuple[float, float]]:
    e_opt = None if not e.any() else e

    def npv_d(i: float) -> tuple[float, float]:
        return _npv_d(i, a, q, e_opt)

    return npv_d


def _refine(
    lo: float,
    hi: float,
    npv_d: Callable[[float], tuple[float, float]],
    *,
    positive_at_lo: bool,
    start: float | None = None,
) -> float:
    """Safeguarded Newton inside a sign-change bracket ``[lo, hi]`` (``hi`` may be inf).

    Newton converges in a few steps from a good start (a schedule passes its
    nominal rate); any step that leaves the bracket is replaced by bisection
    (or by doubling while ``hi`` is unbounded), so it cannot diverge.
    """
    x = (
        start
        if start is not None and lo < start < hi
        else (0.5 * (lo + hi) if np.isfinite(hi) else lo + 0.01)
    )
    for _ in range(300):
        f, df = npv_d(x)
        if f == 0.0:
            return x
        if (f > 0) == positive_at_lo:
            lo = x
        else:
            hi = x
        if df != 0.0 and np.isfinite(df):
            step = f / df
            if abs(step) <= 1e-14 * max(abs(x), 1e-12):
                return x - step
            new = x - step
        else:
            new = 0.5 * (lo + hi)
        if not lo < new < hi:
            new = 0.5 * (lo + hi) if np.isfinite(hi) else 2.0 * x + 0.01
            if new > _MAX_RATE:
                raise LoanMathError("PSK equation has no solution below 1e6 per month")
        if np.isfinite(hi) and hi - lo <= 1e-15 * max(1.0, hi):
            return new
        x = new
    return x


def psk_base_rate(issue_date: date, flows: Sequence[tuple[date, Decimal]]) -> float:
    """The base-period rate ``i`` (float): smallest positive root of the law's equation.

    When every outflow (negative flow) falls on the issue date the NPV is
    strictly decreasing in ``i`` and the root is unique: it is bracketed and
    refined directly. Otherwise a geometric grid of 600 points over
    ``(0, 1e4]`` locates the first sign change before refining it.

    Raises
    ------
    LoanMathError
        When the equation has no positive solution (e.g. payments sum to less
        than the amount lent).
    """
    a, q, e = _prepare(issue_date, flows)
    return _solve(a, q, e, float(_exact_total(v for _, v in flows)))


def _solve(
    a: _FloatArr,
    q: _FloatArr,
    e: _FloatArr,
    total: float,
    start: float | None = None,
) -> float:
    """Root of the law's equation; ``total`` is the exact sum of the flows, as a float.

    The sign of the exact total (the NPV at ``i = 0``) decides "no solution" and
    "PSK 0" without float noise (a 0 % fee-free loan sums to exactly 0).
    """
    f0 = total
    outflows_at_issue = bool(np.all((a >= 0) | ((q == 0) & (e == 0))))
    if outflows_at_issue:
        if f0 == 0.0:
            return 0.0
        if f0 < 0.0:
            raise LoanMathError("payments total less than the amount lent: no positive PSK")
        return _refine(0.0, np.inf, _numpy_npv_d(a, q, e), positive_at_lo=True, start=start)
    if f0 == 0.0:
        return 0.0
    grid = np.concatenate(([0.0], np.geomspace(1e-9, 1e4, 600)))
    with np.errstate(over="ignore", under="ignore"):
        values = ((1.0 + grid[:, None]) ** -q[None, :] / (1.0 + grid[:, None] * e[None, :])) @ a
    signs = np.sign(values)
    change = np.nonzero(signs[1:] != signs[0])[0]
    if change.size == 0:
        raise LoanMathError("PSK equation has no positive solution")
    k = int(change[0]) + 1
    lo, hi = float(grid[k - 1]), float(grid[k])
    return _refine(lo, hi, _numpy_npv_d(a, q, e), positive_at_lo=bool(values[k - 1] > 0))


def psk(issue_date: date, flows: Sequence[tuple[date, Decimal]]) -> Decimal:
    """Full cost of credit, percent per year to 3 decimals (353-FZ art. 6).

    Parameters
    ----------
    issue_date : date
        Date the loan is issued; the start of the first base period.
    flows : sequence of (date, Decimal)
        Every cash flow including the issue flow, from the lender's view:
        the loan net of the upfront fee negative (``-amount + upfront_fee``),
        every payment positive.

    Returns
    -------
    Decimal
        ``PSK = i * 12 * 100`` rounded half up to 0.001.

    Notes
    -----
    ``i`` is the smallest positive solution of
    ``sum_k DP_k / ((1 + e_k i)(1 + i)^q_k) = 0``; ``q_k`` = whole calendar
    months from issue to flow ``k`` (month-end clamped), ``e_k`` = remaining
    days / (365/12). The root is found in float64 (the figure is published to
    3 decimals, far above float error) and returned as ``Decimal``.
    """
    return _to_percent(psk_base_rate(issue_date, flows))


def _exact_total(values: Iterable[Decimal]) -> Decimal:
    total = Decimal(0)
    for v in values:
        total = CTX.add(total, v)
    return total


def _to_percent(rate: float) -> Decimal:
    percent = rate * BASE_PERIODS_PER_YEAR * 100.0
    return Decimal(f"{percent:.9f}").quantize(_PSK_PLACES, rounding=ROUND_HALF_UP)


def monthly_flows_psk(values: list[float], total: float, *, start: float | None = None) -> Decimal:
    """PSK of flows falling exactly ``k`` months after issue, ``k = 0..n`` (a new loan's
    schedule: ``q_k = k``, ``e_k = 0``): ``values[k]`` is flow ``k`` rounded to the nearest
    float and ``total`` the float of their exact sum (a kopeck schedule gives both as
    ``k / 100``). Same equation and solver as :func:`periods_psk`; up to
    :data:`_HORNER_MAX_FLOWS` flows the NPV is a polynomial evaluated in plain floats, with
    no numpy call on the way (a 12-month quote's PSK: 39 -> ~15 us).
    """
    n = len(values)
    if n > _HORNER_MAX_FLOWS or any(v < 0 for v in values[1:]):  # long, or an outflow after issue
        return periods_psk(values, total, np.arange(n, dtype=np.float64), np.zeros(n), start=start)
    _require_both_signs(values)
    if not total:
        return _to_percent(0.0)
    if total < 0:
        raise LoanMathError("payments total less than the amount lent: no positive PSK")
    return _to_percent(_refine(0.0, np.inf, _horner_npv_d(values), positive_at_lo=True, start=start))


def _require_both_signs(values: Sequence[float]) -> None:
    if not any(v < 0 for v in values) or not any(v > 0 for v in values):
        raise LoanMathError("PSK needs both an outflow (the loan) and inflows (payments)")


def periods_psk(
    values: list[float], total: float, q: npt.ArrayLike, e: npt.ArrayLike, *, start: float | None = None
) -> Decimal:
    """PSK of flows whose ``q_k`` and ``e_k`` the caller already knows (``values``, ``total``
    as in :func:`monthly_flows_psk`).

    A schedule knows its periods (row ``k`` of a new loan falls exactly ``k`` months after
    issue; an early repayment's row is ``psk_periods(issue, on)``); skipping the date
    arithmetic of :func:`psk` and starting Newton at the nominal monthly rate (``start``)
    keeps a 360-row schedule under a millisecond. Same equation and solver.
    """
    _require_both_signs(values)
    a = np.array(values, dtype=np.float64)
    q_arr = np.asarray(q, dtype=np.float64)
    e_arr = np.asarray(e, dtype=np.float64)
    return _to_percent(_solve(a, q_arr, e_arr, total, start))
