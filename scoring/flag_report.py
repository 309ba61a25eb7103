"""The report of :func:`scoring.flag_managers`: per-manager arrays, limits and reasons."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from scoring.funnel import FunnelLimits, saddlepoint_count_limits
from scoring.normal import Z_95, Z_998
from scoring.poisson_binomial import SaddlepointBooks

__all__ = ["ManagerFlagReport", "reasons"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, eq=False)
class ManagerFlagReport:
    """Per-manager result of :func:`flag_managers`; all arrays are aligned.

    Attributes
    ----------
    managers : numpy.ndarray
        Manager ids, sorted (``np.unique`` order), original dtype.
    loans, observed : numpy.ndarray of int
        Loans and problem loans.
    expected, variance : numpy.ndarray of float
        ``sum p_i`` and ``sum p_i (1 - p_i)`` of the PDs as given.
    expected_null : numpy.ndarray of float
        Expected count the test uses: PDs recalibrated within peer groups (when given)
        and times ``null_ratio``. Equal to ``expected`` without either.
    ratio : numpy.ndarray of float
        ``observed / expected``, the funnel's y axis; every limit below is on this scale.
    z : numpy.ndarray of float
        ``(observed - expected) / sqrt(variance)`` (descriptive).
    z_overdispersed : numpy.ndarray of float
        The decision score: the exact z-score of ``P(X >= observed)`` shrunk by the
        honest spread, ``lambda z`` (:func:`scoring.funnel.shrinkage`).
    p_value : numpy.ndarray of float
        ``1 - Phi(z_overdispersed)``: the one-sided p-value against honest variation.
    p_value_exact : numpy.ndarray of float
        ``P(X >= observed)`` under the null PDs alone (the test with ``tau2 = 0``).
    min_p_value : numpy.ndarray of float
        ``p_value`` if every loan were a problem (decides ``tested``).
    q_value : numpy.ndarray of float
        BH q-value within the tested family; NaN for untested managers.
    tested : numpy.ndarray of bool
        Tarone's family: ``min_p_value <= fdr / K`` (see
        :func:`scoring.manager_test.tarone_family`).
    flagged : numpy.ndarray of bool
        ``tested & (q_value <= fdr)``, equivalently ``ratio >= decision_limit``.
    tail_method : numpy.ndarray of str
        ``"exact"`` or ``"saddlepoint"``.
    reasons : numpy.ndarray of str
        One sentence per manager.
    lower_95, upper_95, lower_998, upper_998 : numpy.ndarray of float
        The manager's own limits of ``ratio`` at two-sided 95 % and 99.8 %: counts whose
        decision score crosses ``-/+1.960`` and ``-/+3.090``, over ``expected``. Upper
        limits are inf when no count reaches them; lower limits are 0 when none does.
    decision_limit : numpy.ndarray of float
        The ratio from which this manager is flagged at the BH threshold the decision
        used (``decision_p``); inf for untested managers.
    decision_p, decision_z : float
        ``fdr * max(R, 1) / m``, with ``R`` flagged among ``m`` tested, and its z.
    phi : float
        Robust over-dispersion ratio ``(median |z0| / 0.6745)^2`` over the managers that
        informed the spread (``~1``: none); NaN when fewer than 10 did (then
        ``tau2 = 0``: too few managers to tell honest spread from noise).
    phi_winsorised : float
        Spiegelhalter's winsorised ``phi`` over the tested managers (ratio scale).
    tau2 : float
        Honest between-manager variance of the log-odds (0: exact test). Near ratio 1
        it is also the additive variance of the ratio, so
        ``funnel_limits(e, tau2=tau2)`` draws the normal approximation of these limits.
    overdispersed : bool
        Whether the data showed over-dispersion (if not, ``tau2 = 0``).
    spread_managers : int
        Managers that informed the spread.
    peer_groups, peer_shift, peer_applied : numpy.ndarray
        Peer-group labels, their log-odds recalibration (``e^shift`` is the odds
        factor) and whether it was applied (enough managers in the group).
    reference_pd, reference_null_pd : float
        Mean PD of the tested loans as given and under the null; :meth:`funnel` draws
        the limits of a book of such loans.
    fdr, min_expected : float
        The settings used.
    outcome : str
        What was counted ("problem loans" or "first-payment defaults").
    """

    managers: npt.NDArray[Any]
    loans: IntArray
    observed: IntArray
    expected: FloatArray
    variance: FloatArray
    expected_null: FloatArray
    ratio: FloatArray
    z: FloatArray
    z_overdispersed: FloatArray
    p_value: FloatArray
    p_value_exact: FloatArray
    min_p_value: FloatArray
    q_value: FloatArray
    tested: BoolArray
    flagged: BoolArray
    tail_method: npt.NDArray[np.str_]
    reasons: npt.NDArray[np.str_]
    lower_95: FloatArray
    upper_95: FloatArray
    lower_998: FloatArray
    upper_998: FloatArray
    decision_limit: FloatArray
    decision_p: float
    decision_z: float
    phi: float
    phi_winsorised: float
    tau2: float
    overdispersed: bool
    spread_managers: int
    peer_groups: npt.NDArray[Any]
    peer_shift: FloatArray
    peer_applied: BoolArray
    reference_pd: float
    reference_null_pd: float
    fdr: float
    min_expected: float
    outcome: str

    def shortlist(self) -> IntArray:
        """Indices of the flagged managers, most significant first (q, then ratio)."""
        idx = np.flatnonzero(self.flagged)
        order = np.lexsort((-self.ratio[idx], self.q_value[idx]))
        out: IntArray = idx[order].astype(np.int64)
        return out

    def funnel(self, expected: npt.ArrayLike) -> FunnelLimits:
        """Funnel curves for plotting: limits of a reference book at each expected count.

        The reference book holds ``expected / reference_pd`` loans of PD
        ``reference_pd`` (null PD ``reference_null_pd``); its limits come from the same
        shrunk saddlepoint score as the decision, so ``decision`` is the curve at the BH
        threshold the flags used. A manager's own limits (``decision_limit`` and the
        95 / 99.8 % fields) differ from the curve by its PD mix and by discreteness; draw
        them as ticks where exactness matters.
        """
        e = np.atleast_1d(np.asarray(expected, dtype=np.float64))
        n = e / self.reference_pd
        books = SaddlepointBooks(np.full(e.size, self.reference_null_pd), n, np.arange(e.size), e.size)

        def at(z: float, upper: bool) -> FloatArray:
            x = saddlepoint_count_limits(books, self.tau2, np.full(e.size, z))
            count = np.where(np.isnan(x), np.inf if upper else 0.0, x + (0.5 if upper else -0.5))
            return np.asarray(np.maximum(count, 0.0) / e, dtype=np.float64)

        nan = np.full(e.size, np.nan)
        return FunnelLimits(
            expected=e,
            se=np.sqrt(self.reference_null_pd * (1.0 - self.reference_null_pd) * n) / e,
            lower_95=at(-Z_95, False),
            upper_95=at(Z_95, True),
            lower_998=at(-Z_998, False),
            upper_998=at(Z_998, True),
            z=nan,
            z_overdispersed=nan,
            phi=self.phi,
            tau2=self.tau2,
            decision=at(self.decision_z, True),
        )


def _fmt_num(x: float) -> str:
    return f"{x:.2g}" if x < 0.001 else f"{x:.3f}"


def reasons(rep: dict[str, Any], threshold: float, calibrated: bool) -> npt.NDArray[np.str_]:
    """One sentence per manager from the report's fields (``rep``) and Tarone's threshold."""
    out: list[str] = []
    outcome = rep["outcome"]
    rows = zip(
        rep["loans"].tolist(), rep["ratio"].tolist(), rep["observed"].tolist(),
        rep["expected_null"].tolist(), rep["q_value"].tolist(), rep["min_p_value"].tolist(),
        rep["tested"].tolist(), rep["flagged"].tolist(), rep["decision_limit"].tolist(), strict=True,
    )
    for n, r, o, e0, qv, pmin, t, f, lim in rows:
        if not t:
            out.append(
                f"insufficient data: even {n} of {n} {outcome} would not be significant"
                f" (p={pmin:.2g} > {threshold:.2g})"
            )
            continue
        peer = f", {o / e0:.1f}x its peer-group expectation" if calibrated and e0 > 0 else ""
        head = "flagged" if f else "within expectation"
        out.append(f"{head}: {outcome} {r:.1f}x expected (q={_fmt_num(qv)}){peer}; flag limit {lim:.2f}x")
    return np.array(out, dtype=np.str_)
