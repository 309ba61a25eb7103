"""Seeded synthetic loan portfolios with planted problem managers.

Used to validate :mod:`scoring.manager_flags` (precision/recall against a known truth)
and to benchmark it. Numpy only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["SEGMENTS", "SEGMENT_PD_RANGE", "SyntheticPortfolio", "synthetic_portfolio"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: Segment names, index = segment code.
SEGMENTS: tuple[str, ...] = ("vip", "branch", "pos")
#: Range of a manager's mean PD per segment (VIP, branch, point of sale).
SEGMENT_PD_RANGE: tuple[tuple[float, float], ...] = ((0.005, 0.015), (0.03, 0.08), (0.08, 0.20))


@dataclass(frozen=True, eq=False)
class SyntheticPortfolio:
    """A synthetic portfolio: per-loan arrays and per-manager truth.

    Attributes
    ----------
    manager : numpy.ndarray of int, shape (N,)
        Manager id of each loan (``0..n_managers-1``; managers with no loan do not
        occur because every book has at least ``min_loans`` loans).
    segment : numpy.ndarray of int, shape (N,)
        Segment code of each loan, index into :data:`SEGMENTS`: the peer group to pass
        as ``flag_managers(..., peer_group=segment)``.
    pd : numpy.ndarray of float, shape (N,)
        PD at issue (what the scorecard predicted), in (0, 1); off by ``pd_bias`` in
        the biased segment.
    bad : numpy.ndarray of int, shape (N,)
        1 = problem loan (90+ dpd).
    fpd : numpy.ndarray of int, shape (N,)
        1 = first-payment default; always a subset of ``bad``.
    is_problem_manager : numpy.ndarray of bool, shape (n_managers,)
        Planted truth per manager id.
    multiplier : numpy.ndarray of float, shape (n_managers,)
        The true default-rate multiplier of each manager's loans (honest managers
        have their mild over-dispersion here, problem managers 1.8-3x).
    primary_segment : numpy.ndarray of int, shape (n_managers,)
        Each manager's main segment.
    """

    manager: IntArray
    segment: IntArray
    pd: FloatArray
    bad: IntArray
    fpd: IntArray
    is_problem_manager: BoolArray
    multiplier: FloatArray
    primary_segment: IntArray


def synthetic_portfolio(
    seed: int,
    *,
    n_managers: int = 2000,
    median_loans: float = 120.0,
    sigma_loans: float = 1.1,
    min_loans: int = 3,
    max_loans: int = 8000,
    segment_weights: tuple[float, float, float] = (0.2, 0.45, 0.35),
    primary_share: float = 0.85,
    pd_concentration: float = 40.0,
    problem_share: float = 0.05,
    problem_multiplier: tuple[float, float] = (1.8, 3.0),
    honest_sigma: float = 0.08,
    fpd_share: float = 0.25,
    problem_fpd_share: float = 0.4,
    honest_spread: float | None = None,
    biased_segment: int | None = None,
    pd_bias: float = -0.4,
) -> SyntheticPortfolio:
    """Generate a seeded portfolio with planted problem managers.

    Parameters
    ----------
    seed : int
        Seed of ``numpy.random.default_rng``; same seed, same portfolio.
    n_managers : int
        Number of credit managers.
    median_loans, sigma_loans : float
        Book size ``n ~ round(LogNormal(log(median_loans), sigma_loans))`` clipped to
        ``[min_loans, max_loans]`` (defaults: 3 to 8000, median 120).
    min_loans, max_loans : int
        Clip of the book size.
    segment_weights : tuple of float
        Probability of each primary segment (VIP, branch, POS).
    primary_share : float
        Share of a manager's loans in the primary segment; the rest go uniformly to
        the other two segments (mixed books).
    pd_concentration : float
        ``kappa`` of the per-loan beta: ``pd ~ Beta(kappa m, kappa (1 - m))`` with
        ``m`` the manager's segment mean PD, itself uniform on
        :data:`SEGMENT_PD_RANGE` of the segment.
    problem_share : float
        Share of managers planted as problem managers (drawn independently of
        segment and book size, so they occur in every segment).
    problem_multiplier : tuple of float
        Problem managers' loans default with probability ``min(0.95, r pd)``,
        ``r ~ Uniform(problem_multiplier)``: the sales-plan-pressure effect.
    honest_sigma : float
        Honest managers' loans default with probability ``min(0.95, r pd)``,
        ``r ~ LogNormal(0, honest_sigma)`` truncated to ``[0.75, 1.35]``: mild
        honest over-dispersion (local economy, PD model not perfectly calibrated per
        branch). ``0`` makes the PDs exactly calibrated for honest managers.
    fpd_share, problem_fpd_share : float
        Given a problem loan, probability that it was already a first-payment
        default, for honest and problem managers (fraud shows up early).
    honest_spread : float, optional
        Honest variation without truncation: honest managers' loans default with
        probability ``min(0.95, r pd_true)``, ``r ~ LogNormal(0, honest_spread)``
        (replaces ``honest_sigma``; 0.25 puts 5 % of honest managers beyond 1.5x).
    biased_segment : int, optional
        Segment (index into :data:`SEGMENTS`) whose PDs are off for everyone: the PD
        recorded for its loans is ``pd_true * (1 + pd_bias)`` while defaults follow
        ``pd_true``.
    pd_bias : float
        Relative error of the biased segment's PDs; -0.4 = "PDs run 40 % low".

    Returns
    -------
    SyntheticPortfolio

    Notes
    -----
    The default effect range ``1.8x-3x`` is what a sales-plan-driven manager does to a
    book: approving applicants who would otherwise be declined or helping with
    application data roughly doubles the default rate; below ~1.5x the effect is
    indistinguishable from honest calibration error on any realistic book; above
    ~3x it is outright fraud, which shows up everywhere. Honest over-dispersion
    (``sigma = 0.08``) gives an honest manager's rate within about +-16 % of the PDs
    (two standard deviations).
    """
    if n_managers < 1:
        raise ValueError("n_managers must be >= 1")
    rng = np.random.default_rng(seed)
    sizes = np.clip(
        np.rint(rng.lognormal(np.log(median_loans), sigma_loans, n_managers)),
        min_loans,
        max_loans,
    ).astype(np.int64)
    w = np.asarray(segment_weights, dtype=np.float64)
    primary = rng.choice(len(SEGMENTS), size=n_managers, p=w / w.sum()).astype(np.int64)
    lo = np.array([r[0] for r in SEGMENT_PD_RANGE])
    hi = np.array([r[1] for r in SEGMENT_PD_RANGE])
    # each manager's clientele mean PD per segment
    seg_mean = rng.uniform(lo, hi, size=(n_managers, len(SEGMENTS)))

    is_problem = rng.random(n_managers) < problem_share
    if honest_spread is None:
        honest_r = np.clip(rng.lognormal(0.0, honest_sigma, n_managers), 0.75, 1.35)
    else:
        honest_r = rng.lognormal(0.0, honest_spread, n_managers)
    problem_r = rng.uniform(problem_multiplier[0], problem_multiplier[1], n_managers)
    multiplier = np.where(is_problem, problem_r, honest_r)

    manager = np.repeat(np.arange(n_managers, dtype=np.int64), sizes)
    n = manager.size
    other = rng.random(n) >= primary_share
    shift = rng.integers(1, len(SEGMENTS), size=n)
    segment = np.where(other, (primary[manager] + shift) % len(SEGMENTS), primary[manager])
    segment = segment.astype(np.int64)
    mean = seg_mean[manager, segment]
    pd = rng.beta(pd_concentration * mean, pd_concentration * (1.0 - mean))
    pd = np.clip(pd, 1e-4, 0.9)
    p_true = np.minimum(0.95, multiplier[manager] * pd)
    if biased_segment is not None:
        if not 0 <= biased_segment < len(SEGMENTS) or not -1.0 < pd_bias:
            raise ValueError("biased_segment must index SEGMENTS and pd_bias must exceed -1")
        in_seg = segment == biased_segment
        pd = np.where(in_seg, np.clip(pd * (1.0 + pd_bias), 1e-4, 0.95), pd)
    bad = (rng.random(n) < p_true).astype(np.int64)
    share = np.where(is_problem, problem_fpd_share, fpd_share)[manager]
    fpd = (bad.astype(bool) & (rng.random(n) < share)).astype(np.int64)
    # shuffle loans so the arrays are not grouped by manager
    perm = rng.permutation(n)
    return SyntheticPortfolio(
        manager=manager[perm],
        segment=segment[perm],
        pd=pd[perm],
        bad=bad[perm],
        fpd=fpd[perm],
        is_problem_manager=is_problem,
        multiplier=multiplier,
        primary_segment=primary,
    )
