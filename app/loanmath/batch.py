"""Vectorised 30/360 schedules in integer kopecks, bit-identical to ``build_schedule``.

Loans run side by side (numpy over loans, a Python loop over the month index only), on
the pieces of :mod:`~app.loanmath.amortisation` applied to int64 arrays: a month's
interest is :func:`~app.loanmath.amortisation.row_interest` at rate ``bp / 100`` over
a whole month (``half_up(B bp, 120000)``), a regular row repays
:func:`~app.loanmath.amortisation.repaid` of ``A - I`` (or of the differentiated step
:func:`~app.loanmath.amortisation.differentiated_step`), the last row the balance. The
annuity instalment is :func:`~app.loanmath.schedule.annuity_payment`: estimated in
float64 and rounded, the rare loans whose float value lies within a relative 1e-11 of a
half kopeck recomputed with that formula, which makes the instalment exact too.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import numpy.typing as npt

from .amortisation import WHOLE_MONTH, differentiated_step, repaid, row_interest
from .errors import LoanMathError
from .money import from_kopecks, kopecks
from .schedule import annuity_payment

__all__ = [
    "BatchSchedules",
    "annuity_instalments_kop",
    "annuity_schedules_batch",
    "differentiated_schedules_batch",
]

I64 = npt.NDArray[np.int64]

#: Largest amount in kopecks the int64 arithmetic is proven safe for
#: (2 * balance * bp + 120000 < 2**63 with bp <= 99_999).
MAX_BATCH_AMOUNT_KOP = 10**13
MAX_BATCH_RATE_BP = 99_999


@dataclass(frozen=True, slots=True)
class BatchSchedules:
    """Schedules of ``n`` loans as ``[loan, month]`` int64 kopeck arrays.

    Entries past a loan's term are 0. ``instalment`` is the annuity instalment
    per loan (differentiated: the regular principal step). ``balance`` is
    after each payment.
    """

    instalment: I64
    principal: I64
    interest: I64
    payment: I64
    balance: I64
    term_months: I64

    @property
    def rows(self) -> int:
        """Number of real schedule rows (sum of terms)."""
        return int(self.term_months.sum())


def _check(amounts_kop: I64, rate_bp: I64, term_months: I64) -> tuple[I64, I64, I64]:
    p = np.asarray(amounts_kop)
    r = np.asarray(rate_bp)
    m = np.asarray(term_months)
    for name, arr in (("amounts_kop", p), ("annual_rate_bp", r), ("term_months", m)):
        if arr.ndim != 1 or not np.issubdtype(arr.dtype, np.integer):
            raise LoanMathError(f"{name} must be a 1-D integer array")
    if not p.shape == r.shape == m.shape:
        raise LoanMathError("amounts, rates and terms must have the same length")
    if p.size and (p.min() <= 0 or p.max() > MAX_BATCH_AMOUNT_KOP):
        raise LoanMathError(f"amounts_kop must be in 1..{MAX_BATCH_AMOUNT_KOP}")
    if r.size and (r.min() < 0 or r.max() > MAX_BATCH_RATE_BP):
        raise LoanMathError(f"annual_rate_bp must be in 0..{MAX_BATCH_RATE_BP}")
    if m.size and (m.min() < 1 or m.max() > 600):
        raise LoanMathError("term_months must be in 1..600")
    return p.astype(np.int64), r.astype(np.int64), m.astype(np.int64)


def annuity_instalments_kop(amounts_kop: I64, rate_bp: I64, term_months: I64) -> I64:
    """Annuity instalments in kopecks, equal to :func:`annuity_payment` for every loan.

    Notes
    -----
    ``A = P r (1 + r)^m / ((1 + r)^m - 1)``, ``r = bp / 120000``, evaluated as
    ``P r / -expm1(-m log1p(r))`` (accurate to a few ulps). Rounding half up
    is only ambiguous when the float lands next to ``x.5``; those loans (a
    window of ``1e-6 + 1e-11 * A`` kopecks, well above the float error) are
    recomputed in Decimal. At rate 0 ``round_half_up(P / m)``, which is the
    differentiated step.
    """
    p, r, m = _check(amounts_kop, rate_bp, term_months)
    out = np.empty(p.shape, dtype=np.int64)
    zero = r == 0
    if zero.any():
        out[zero] = differentiated_step(p[zero], m[zero])
    pos = ~zero
    if pos.any():
        pf = p[pos].astype(np.float64)
        rf = r[pos].astype(np.float64) / 120000.0
        mf = m[pos].astype(np.float64)
        a = pf * rf / -np.expm1(-mf * np.log1p(rf))
        rounded = np.floor(a + 0.5)
        frac = a - np.floor(a)
        near = np.abs(frac - 0.5) <= 1e-6 + 1e-11 * a
        res = rounded.astype(np.int64)
        for j in np.nonzero(near)[0]:
            rate = Decimal(int(r[pos][j])).scaleb(-2)
            res[j] = kopecks(annuity_payment(from_kopecks(int(p[pos][j])), rate, int(m[pos][j])))
        out[pos] = res
    return out


def _run(p: I64, r: I64, m: I64, step: I64, *, annuity: bool) -> tuple[I64, I64, I64, I64]:
    """Month loop shared by both methods; returns principal, interest, payment, balance."""
    n = p.size
    months = int(m.max()) if n else 0
    # Computed as [month, loan] (contiguous row writes) and returned transposed.
    principal = np.zeros((months, n), dtype=np.int64)
    interest = np.zeros((months, n), dtype=np.int64)
    balance = np.zeros((months, n), dtype=np.int64)
    # Sorting by term (descending) makes the loans still running a prefix, so
    # every month works on contiguous slices; the columns are unsorted at the end.
    order = np.argsort(-m, kind="stable")
    bal = p[order].copy()
    rs = r[order]
    ms = m[order]
    st = step[order]
    alive = np.searchsorted(-ms, -np.arange(1, months + 2), side="right")
    for j in range(months):
        k = int(alive[j])
        ends = int(alive[j + 1])  # loans [ends:k] have their last month now
        b = bal[:k]
        ints = row_interest(b, (rs[:k], 100), WHOLE_MONTH)  # rate bp / 100 percent
        prin = repaid(st[:k] - ints if annuity else st[:k], b, np.minimum, np.maximum)
        prin[ends:] = b[ends:]  # the last row repays the balance
        interest[j, :k] = ints
        principal[j, :k] = prin
        b -= prin
        balance[j, :k] = b
    if not np.array_equal(order, np.arange(n)):
        inverse = np.empty_like(order)
        inverse[order] = np.arange(n)
        principal = np.take(principal, inverse, axis=1)
        interest = np.take(interest, inverse, axis=1)
        balance = np.take(balance, inverse, axis=1)
    payment = principal + interest
    return principal.T, interest.T, payment.T, balance.T


def annuity_schedules_batch(amounts_kop: I64, annual_rate_bp: I64, term_months: I64) -> BatchSchedules:
    """30/360 annuity schedules of many loans at once, exact to the kopeck.

    Parameters
    ----------
    amounts_kop : ndarray[int64]
        Amounts in kopecks (1,000.00 RUB -> 100000).
    annual_rate_bp : ndarray[int64]
        Rates in 1/100 of a percent (18.90 % -> 1890).
    term_months : ndarray[int64]
        Terms, 1..600.

    Returns
    -------
    BatchSchedules
        Row ``[i, k]`` equals row ``k + 1`` of ``build_schedule`` for loan ``i``
        (30/360, no grace, no fees).

    Notes
    -----
    Interest ``I = half_up(B bp, 120000)`` (``B bp / 100 / 1200``), principal ``A - I``
    clamped to ``[0, B]``, the last month clears ``B``: :mod:`~app.loanmath.amortisation`.
    """
    p, r, m = _check(amounts_kop, annual_rate_bp, term_months)
    inst = annuity_instalments_kop(p, r, m)
    principal, interest, payment, balance = _run(p, r, m, inst, annuity=True)
    return BatchSchedules(inst, principal, interest, payment, balance, m)


def differentiated_schedules_batch(amounts_kop: I64, annual_rate_bp: I64, term_months: I64) -> BatchSchedules:
    """30/360 differentiated schedules: principal ``round_half_up(P / m)``, last row the rest."""
    p, r, m = _check(amounts_kop, annual_rate_bp, term_months)
    step = differentiated_step(p, m)
    principal, interest, payment, balance = _run(p, r, m, step, annuity=False)
    return BatchSchedules(step, principal, interest, payment, balance, m)
