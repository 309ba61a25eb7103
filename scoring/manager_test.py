"""Testing each manager against honest variation, not against a perfect PD model.

Two stages.

1. **What honest looks like** (:func:`estimate_honest_null`). Peer-group calibration
   (:func:`scoring.peer_calibration.calibrate_peers`) and the honest between-manager spread
   ``tau^2`` of the log-odds (:func:`scoring.funnel.robust_spread`) are estimated from the
   managers not flagged so far, with closed-form scores; managers flagged at the false
   discovery rate are set aside and both are estimated again, until the set is stable.
2. **The test** (:class:`ManagerTests`). Each manager's count is compared with the
   Poisson-binomial of its own (recalibrated) PDs, exactly for books of up to
   ``exact_max_loans`` loans and by saddlepoint above; the z-score of that exact tail is
   shrunk by the honest spread (:func:`scoring.funnel.shrinkage`). With ``tau^2 = 0``
   (no over-dispersion in the data) the test *is* the exact Poisson-binomial test.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from scoring.funnel import (
    Spread,
    exact_count_limits,
    null_z,
    robust_spread,
    saddlepoint_count_limits,
    shrinkage,
)
from scoring.normal import norm_isf_log, norm_sf
from scoring.peer_calibration import Cells, PeerCalibration, calibrate_peers, tilt
from scoring.poisson_binomial import ExactBooks, SaddlepointBooks, gsum, z_from_tails

__all__ = ["HonestNull", "ManagerTests", "benjamini_hochberg", "estimate_honest_null", "tarone_family"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: Nodes of the Gauss rule that stands for a large book's PD mix in its saddlepoint
#: (:meth:`scoring.poisson_binomial.SaddlepointBooks.gauss`).
GAUSS_NODES = 10


def benjamini_hochberg(p_values: npt.ArrayLike) -> FloatArray:
    """Benjamini-Hochberg adjusted p-values (q-values).

    Parameters
    ----------
    p_values : array_like of float, shape (m,)
        The family of p-values (NaN not allowed).

    Returns
    -------
    numpy.ndarray of float, shape (m,)
        ``q_(i) = min_{j >= i} min(1, m p_(j) / j)`` in the original order, where
        ``p_(1) <= ... <= p_(m)``. Rejecting ``q <= alpha`` is the BH step-up
        procedure at FDR ``alpha``; it rejects exactly the p-values ``<= alpha R / m``
        with ``R`` the number of rejections.

    Notes
    -----
    BH controls the FDR at ``alpha m0 / m`` for independent (or PRDS) p-values;
    managers' counts are independent given the PDs. Under the complete null every
    rejection is false, so the family-wise error is then also at most ``alpha``.
    """
    p = np.asarray(p_values, dtype=np.float64).ravel()
    m = p.size
    if m == 0:
        return np.empty(0, dtype=np.float64)
    if np.any(np.isnan(p)):
        raise ValueError("p-values must not be NaN")
    order = np.argsort(p, kind="stable")
    ranked = p[order] * m / np.arange(1, m + 1)
    q_sorted = np.minimum.accumulate(ranked[::-1])[::-1]
    q = np.empty(m, dtype=np.float64)
    q[order] = np.minimum(q_sorted, 1.0)
    return q


def tarone_family(p_min: FloatArray, alpha: float) -> tuple[BoolArray, float]:
    """Tarone's family: the tests whose smallest attainable p-value can be significant.

    Returns the mask and the threshold ``alpha / K``, where ``K`` is the smallest integer
    with ``#{p_min <= alpha / K} <= K`` (R. E. Tarone, Biometrics 46 (1990) 515-522; with
    BH on the family as in P. B. Gilbert, Appl. Stat. 54 (2005) 143-158). A manager
    outside it could not be flagged even if every loan were a problem, so leaving it out
    costs no power and makes the BH penalty smaller.
    """
    s = np.sort(p_min)
    m = s.size
    if m == 0:
        return np.zeros(0, dtype=bool), alpha
    k = np.arange(1, m + 1)
    counts = np.searchsorted(s, alpha / k, side="right")
    first = int(np.argmax(counts <= k))
    threshold = alpha / float(k[first])
    return p_min <= threshold, threshold


@dataclass(frozen=True, eq=False)
class HonestNull:
    """What an honest manager looks like in this portfolio."""

    p_null: FloatArray
    calibration: PeerCalibration | None
    spread: Spread
    set_aside: BoolArray
    iterations: int


def estimate_honest_null(
    cells: Cells,
    *,
    calibrate: bool,
    fdr: float,
    min_expected: float,
    tau2: float | None,
    min_peer_managers: float,
    level: float,
    trim: float = 0.01,
    max_iter: int = 10,
) -> HonestNull:
    """Peer calibration and honest spread, estimated away from the managers that stand out.

    Each round: recalibrate the peer groups on the managers not set aside; score every
    manager with :func:`scoring.funnel.null_z`; estimate ``tau^2`` by
    :func:`scoring.funnel.robust_spread` over the managers not set aside with expected
    count ``>= min_expected``; set aside the managers whose approximate one-sided
    p-value ``1 - Phi(lambda z0)`` is below ``trim`` (the estimate's target
    accounts for the honest top ``trim`` set aside with them). Stops when the set aside
    no longer changes (at most ``max_iter`` rounds). ``tau2`` given: the spread is fixed
    at it and only the calibration iterates. ``fdr`` is kept for the signature's sake.
    """
    m = cells.n_managers
    loans = gsum(cells.manager, cells.n.astype(np.float64), m)
    observed = gsum(cells.manager, cells.bad.astype(np.float64), m)
    aside = np.zeros(m, dtype=bool)
    t2 = 0.0 if tau2 is None else float(tau2)
    cal: PeerCalibration | None = None
    p_null = cells.pd
    spread = Spread(t2, float("nan"), float("nan"), float("nan"), t2 > 0, 0)
    rounds = 0
    while rounds < max_iter:
        rounds += 1
        if calibrate:
            cal = calibrate_peers(
                cells, ~aside, t2, min_managers=min_peer_managers, start=None if cal is None else cal.solved
            )
            p_null = tilt(cells.pd, cal.shift[cells.peer])
        e = gsum(cells.manager, cells.n * p_null, m)
        v = gsum(cells.manager, cells.n * p_null * (1.0 - p_null), m)
        z0 = null_z(observed, loans, e, v)
        est = ~aside & (e >= min_expected)
        trimmed = trim if rounds > 1 else 0.0
        o_est, n_est, e_est = observed[est], loans[est], e[est]

        def shrink(t: float, o: FloatArray = o_est, n: FloatArray = n_est, ex: FloatArray = e_est) -> FloatArray:
            return shrinkage(o, n, ex, t)

        s0 = robust_spread(z0[est], shrink, level=level, trimmed=trimmed)
        spread = s0 if tau2 is None else Spread(t2, s0.phi, s0.median_abs_z, s0.critical, t2 > 0, s0.n_units)
        t2 = spread.tau2
        approx_p = norm_sf(z0 * shrinkage(observed, loans, e, t2))
        flagged = approx_p < trim
        if np.array_equal(flagged, aside):
            break
        aside = flagged
    return HonestNull(p_null=p_null, calibration=cal, spread=spread, set_aside=aside, iterations=rounds)


class ManagerTests:
    """Shrunk exact z-scores and count limits of every manager's book.

    Parameters
    ----------
    cells : Cells
    p_null : numpy.ndarray
        Null PD of each cell (recalibrated, times the materiality margin).
    exact_max_loans : int
        Books of at most this many loans get the exact pmf, larger ones the saddlepoint
        on a :data:`GAUSS_NODES`-point Gauss rule of their PD mix.
    tau2 : float
        Honest between-manager log-odds variance (0: the plain exact test).
    """

    def __init__(self, cells: Cells, p_null: FloatArray, exact_max_loans: int, tau2: float) -> None:
        m = cells.n_managers
        self.m, self.tau2 = m, tau2
        self.loans = gsum(cells.manager, cells.n.astype(np.float64), m)
        self.expected = gsum(cells.manager, cells.n * p_null, m)
        self.log_all_bad = gsum(cells.manager, cells.n.astype(np.float64) * np.log(p_null), m)
        self.is_exact = self.loans <= exact_max_loans
        self.exact_ids = np.flatnonzero(self.is_exact)
        self.sp_ids = np.flatnonzero(~self.is_exact)
        self.exact = ExactBooks(p_null, cells.n, cells.manager, self.exact_ids) if self.exact_ids.size else None
        self.sp: SaddlepointBooks | None = None
        if self.sp_ids.size:
            sel = ~self.is_exact[cells.manager]
            remap = np.full(m, -1, dtype=np.int64)
            remap[self.sp_ids] = np.arange(self.sp_ids.size)
            self.sp = SaddlepointBooks.gauss(
                p_null[sel], cells.n[sel].astype(np.float64), remap[cells.manager[sel]], self.sp_ids.size,
                nodes=GAUSS_NODES,
            )

    def tails(self, k: IntArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Exact / saddlepoint ``(P(X >= k), P(X <= k - 1), z)`` of each manager's book."""
        up = np.empty(self.m)
        lo = np.empty(self.m)
        z = np.empty(self.m)
        if self.exact is not None:
            ids = self.exact_ids
            up[ids], lo[ids] = self.exact.tails(k[ids])
            z[ids] = z_from_tails(up[ids], lo[ids])
        if self.sp is not None:
            up[self.sp_ids], lo[self.sp_ids], z[self.sp_ids] = self.sp.tails(k[self.sp_ids])
        return up, lo, z

    def shrunk_z(self, k: IntArray, z: FloatArray) -> FloatArray:
        """The decision score at count ``k``: ``lambda(k - 1/2) z(k)``."""
        out: FloatArray = shrinkage(k - 0.5, self.loans, self.expected, self.tau2) * z
        return out

    def all_bad_z(self) -> FloatArray:
        """Decision score if every loan were a problem (``P = prod p``, from its logarithm)."""
        z = norm_isf_log(self.log_all_bad)
        out: FloatArray = shrinkage(self.loans - 0.5, self.loans, self.expected, self.tau2) * z
        return out

    def count_limits(self, target: FloatArray, *, upper: bool) -> FloatArray:
        """Per manager, the count where the decision score crosses ``target``.

        Upper: the smallest count scoring ``>= target`` (inf if none). Lower
        (``target < 0``): the largest count ``k`` whose lower tail ``P(X <= k)`` is
        significant, or -1 if none. Exact books give integers; saddlepoint books the
        continuous solution (``x + 1/2`` or ``x - 1/2``).
        """
        out = np.empty(self.m)
        if self.exact is not None:
            ids = self.exact_ids
            k = exact_count_limits(self.exact, self.expected[ids], self.tau2, target[ids], upper=upper)
            out[ids] = np.where(k > self.loans[ids], np.inf, k) if upper else k
        if self.sp is not None:
            ids = self.sp_ids
            x = saddlepoint_count_limits(self.sp, self.tau2, target[ids])
            out[ids] = np.where(np.isnan(x), np.inf if upper else -1.0, x + (0.5 if upper else -0.5))
        return out
