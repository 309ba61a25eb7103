"""Credit managers with more problem loans than honest managers with their loans would have.

A manager's problem-loan count is compared with the Poisson-binomial implied by the PD of
each loan at issue, so a VIP book (PD ~1 %) and a point-of-sale book (PD ~15 %) are each
judged against their own expectation. Honest managers differ from the PDs too (local
economy, a PD model that is not calibrated per branch): that spread is estimated robustly
from the portfolio and every manager is tested against it, not against a perfect PD model
(:mod:`scoring.manager_test`). Optionally the PDs are first recalibrated within peer groups
(segment, channel). The family is Tarone's (managers for whom even "every loan a problem"
could be significant), the p-values are adjusted with Benjamini-Hochberg, and the report
carries each manager's funnel limits, including the limit the decision used, so the table
and the funnel tell the same story. Numpy only.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from scoring.flag_report import ManagerFlagReport, reasons
from scoring.funnel import winsorised_overdispersion
from scoring.manager_test import (
    ManagerTests,
    benjamini_hochberg,
    estimate_honest_null,
    tarone_family,
)
from scoring.normal import Z_95, Z_998, norm_isf, norm_sf
from scoring.peer_calibration import build_cells
from scoring.poisson_binomial import gsum

__all__ = [
    "DEFAULT_FPD_SHARE",
    "ManagerFlagReport",
    "benjamini_hochberg",
    "flag_first_payment_default",
    "flag_first_payment_default_grouped",
    "flag_managers",
    "flag_managers_grouped",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: Share of all problem loans (90+ dpd) that already miss the first instalment by 30+
#: days. The expected first-payment-default probability of a loan is ``fpd_share * pd``.
DEFAULT_FPD_SHARE = 0.25


def flag_managers_grouped(
    manager: npt.ArrayLike,
    pd: npt.ArrayLike,
    n_loans: npt.ArrayLike,
    n_bad: npt.ArrayLike,
    *,
    peer_group: npt.ArrayLike | None = None,
    fdr: float = 0.05,
    min_expected: float = 5.0,
    null_ratio: float = 1.0,
    exact_max_loans: int = 128,
    winsor: float = 0.1,
    outcome: str = "problem loans",
    tau2: float | None = None,
    min_peer_managers: float = 10.0,
    overdispersion_level: float = 0.01,
) -> ManagerFlagReport:
    """:func:`flag_managers` on counts aggregated per (manager, PD value[, peer group]).

    Parameters
    ----------
    manager, pd : array_like, shape (C,)
        Manager id and PD of each row.
    n_loans, n_bad : array_like of int, shape (C,)
        Loans with that PD and the problem loans among them (``0 <= n_bad <= n_loans``).
        Rows repeating a (manager, peer group, PD) are summed.
    peer_group : array_like, shape (C,), optional
        Peer group of each row; see :func:`flag_managers`.
    fdr, min_expected, null_ratio, exact_max_loans, winsor, outcome, tau2,
    min_peer_managers, overdispersion_level
        See :func:`flag_managers`.

    Returns
    -------
    ManagerFlagReport
        Equal, field for field and bit for bit, to :func:`flag_managers` on the loans the
        rows stand for: both build the same sorted cells (:mod:`scoring.peer_calibration`)
        and compute everything from them (a Poisson-binomial of ``n`` loans with one PD
        is a Binomial, convolved exactly in small books and a weighted term of the
        cumulant generating function in large ones).
    """
    if not 0.0 < fdr < 1.0:
        raise ValueError("fdr must lie in (0, 1)")
    if not min_expected >= 0.0:
        raise ValueError("min_expected must be >= 0")
    if not 1.0 <= null_ratio < 100.0:
        raise ValueError("null_ratio must lie in [1, 100)")
    if tau2 is not None and not tau2 >= 0.0:
        raise ValueError("tau2 must be >= 0")
    cells = build_cells(manager, pd, n_loans, n_bad, peer_group)
    m = cells.n_managers
    loans = np.rint(gsum(cells.manager, cells.n.astype(np.float64), m)).astype(np.int64)
    observed = np.rint(gsum(cells.manager, cells.bad.astype(np.float64), m)).astype(np.int64)
    expected = gsum(cells.manager, cells.n * cells.pd, m)
    variance = gsum(cells.manager, cells.n * cells.pd * (1.0 - cells.pd), m)
    ratio = observed / expected

    null = estimate_honest_null(
        cells, calibrate=peer_group is not None, fdr=fdr, min_expected=min_expected, tau2=tau2,
        min_peer_managers=min_peer_managers, level=overdispersion_level,
    )
    t2 = null.spread.tau2
    p_test = null.p_null if null_ratio == 1.0 else np.minimum(null.p_null * null_ratio, 1.0 - 1e-9)
    tests = ManagerTests(cells, p_test, exact_max_loans, t2)
    up, _, z_within = tests.tails(observed)
    z_dec = tests.shrunk_z(observed, z_within)
    # no honest spread: the exact Poisson-binomial p-value itself, not its round trip through z
    p_value = up if t2 == 0.0 else norm_sf(z_dec)
    min_p = norm_sf(tests.all_bad_z())

    tested, threshold = tarone_family(min_p, fdr)
    q_value = np.full(m, np.nan)
    q_value[tested] = benjamini_hochberg(p_value[tested])
    flagged = tested & (np.nan_to_num(q_value, nan=1.0) <= fdr)
    n_tested = int(tested.sum())
    decision_p = fdr * max(int(flagged.sum()), 1) / max(n_tested, 1)
    decision_z = float(norm_isf(np.array([decision_p]))[0])

    def ratio_limit(z: float, upper: bool) -> FloatArray:
        count = tests.count_limits(np.full(m, z), upper=upper)
        return np.asarray(np.maximum(count, 0.0) / expected, dtype=np.float64)

    decision_limit = np.where(tested, ratio_limit(decision_z, True), np.inf)
    # the same score on both sides; guard the last ulp of the saddlepoint solve
    decision_limit = np.where(flagged, np.minimum(decision_limit, ratio), decision_limit)
    decision_limit = np.where(~flagged & (ratio >= decision_limit), np.nextafter(ratio, np.inf), decision_limit)

    s2 = variance / (expected * expected)
    z = (ratio - 1.0) / np.sqrt(s2)
    phi_w, _ = winsorised_overdispersion(z[tested], s2[tested], winsor)
    ref = tested if tested.any() else np.ones(m, dtype=bool)
    cal = null.calibration
    rep: dict[str, Any] = {
        "managers": cells.managers,
        "loans": loans,
        "observed": observed,
        "expected": expected,
        "variance": variance,
        "expected_null": tests.expected,
        "ratio": ratio,
        "z": z,
        "z_overdispersed": z_dec,
        "p_value": p_value,
        "p_value_exact": up,
        "min_p_value": min_p,
        "q_value": q_value,
        "tested": tested,
        "flagged": flagged,
        "tail_method": np.where(tests.is_exact, "exact", "saddlepoint").astype(np.str_),
        "lower_95": ratio_limit(-Z_95, False),
        "upper_95": ratio_limit(Z_95, True),
        "lower_998": ratio_limit(-Z_998, False),
        "upper_998": ratio_limit(Z_998, True),
        "decision_limit": decision_limit,
        "decision_p": decision_p,
        "decision_z": decision_z,
        "phi": null.spread.phi,
        "phi_winsorised": phi_w,
        "tau2": t2,
        "overdispersed": null.spread.overdispersed,
        "spread_managers": null.spread.n_units,
        "peer_groups": cells.peers,
        "peer_shift": cal.shift if cal is not None else np.zeros(cells.peers.size),
        "peer_applied": cal.applied if cal is not None else np.zeros(cells.peers.size, dtype=bool),
        "reference_pd": float(expected[ref].sum() / loans[ref].sum()),
        "reference_null_pd": float(tests.expected[ref].sum() / loans[ref].sum()),
        "fdr": fdr,
        "min_expected": min_expected,
        "outcome": outcome,
    }
    calibrated = cal is not None and bool(cal.applied.any())
    return ManagerFlagReport(reasons=reasons(rep, threshold, calibrated), **rep)


def flag_managers(
    manager: npt.ArrayLike,
    pd: npt.ArrayLike,
    bad: npt.ArrayLike,
    *,
    peer_group: npt.ArrayLike | None = None,
    fdr: float = 0.05,
    min_expected: float = 5.0,
    null_ratio: float = 1.0,
    exact_max_loans: int = 128,
    winsor: float = 0.1,
    outcome: str = "problem loans",
    tau2: float | None = None,
    min_peer_managers: float = 10.0,
    overdispersion_level: float = 0.01,
) -> ManagerFlagReport:
    """Flag credit managers with significantly more problem loans than honest managers.

    Parameters
    ----------
    manager : array_like, shape (N,)
        Manager id of each loan; any sortable dtype (int, str, ...).
    pd : array_like of float, shape (N,)
        PD at issue of each loan, strictly inside (0, 1).
    bad : array_like of {0, 1} or bool, shape (N,)
        1 for a problem loan (90+ days past due).
    peer_group : array_like, shape (N,), optional
        Peer group of each loan (segment, channel, product, or a combination). Given:
        each group's PDs are recalibrated (a log-odds shift) on the managers not
        flagged, when its expected problems spread over at least ``min_peer_managers``
        managers. None: the PDs' level is trusted.
    fdr : float
        Benjamini-Hochberg false-discovery rate across the tested managers.
    min_expected : float
        Managers with fewer expected problems do not inform the estimate of the honest
        spread (their scores are too discrete). They are still tested: a manager is
        untested only when even every loan a problem would not be significant.
    null_ratio : float
        Materiality margin, >= 1: the test is against the null PDs times ``null_ratio``
        (capped below 1). The spread and calibration are estimated without it.
    exact_max_loans : int
        Books of at most this many loans get the exact tail, larger ones the saddlepoint.
    winsor : float
        Winsorising fraction of the descriptive ``phi_winsorised``.
    outcome : str
        Wording used in ``reasons``.
    tau2 : float, optional
        Fix the honest log-odds variance instead of estimating it (0: the plain exact
        Poisson-binomial test against the PDs).
    min_peer_managers : float
        See ``peer_group``.
    overdispersion_level : float
        Level of the test for over-dispersion; without it ``tau2 = 0``.

    Returns
    -------
    ManagerFlagReport

    Notes
    -----
    For manager ``g``: ``O_g = sum bad_i``. An honest manager's loans default with
    log-odds ``logit(p_i) + a_peer + b_g``, ``b_g ~ N(0, tau^2)``. The within-book tail
    ``P_g = P(X_g >= O_g)`` is exact (DP, books <= ``exact_max_loans``) or saddlepoint,
    ``z_g = Phi^-1(1 - P_g)``, and the decision score is ``lambda_g z_g`` with
    ``lambda_g = 1 / sqrt(1 + J_g tau^2)`` (:func:`scoring.funnel.shrinkage`), the
    p-value ``1 - Phi(lambda_g z_g)``. ``tau^2`` is the robust median estimate of
    :func:`scoring.funnel.robust_spread`, 0 unless the data are over-dispersed, so with
    honest managers matching their PDs the test is the exact Poisson-binomial one.
    Family: Tarone's; BH q-values over it; flagged iff ``q <= fdr``. Method, formulas
    and the measured precision/recall: ``docs/manager-flags.md``.
    """
    b_raw = np.asarray(bad).ravel()
    b = b_raw.astype(np.int64)
    if np.any((b != 0) & (b != 1)) or np.any(b != b_raw):
        raise ValueError("bad must be 0/1")
    return flag_managers_grouped(
        manager, pd, np.ones(b.size, dtype=np.int64), b, peer_group=peer_group, fdr=fdr,
        min_expected=min_expected, null_ratio=null_ratio, exact_max_loans=exact_max_loans,
        winsor=winsor, outcome=outcome, tau2=tau2, min_peer_managers=min_peer_managers,
        overdispersion_level=overdispersion_level,
    )


def flag_first_payment_default_grouped(
    manager: npt.ArrayLike,
    pd: npt.ArrayLike,
    n_loans: npt.ArrayLike,
    n_fpd: npt.ArrayLike,
    *,
    fpd_share: float = DEFAULT_FPD_SHARE,
    **options: Any,
) -> ManagerFlagReport:
    """:func:`flag_first_payment_default` on counts per (manager, PD value)."""
    if not 0.0 < fpd_share <= 1.0:
        raise ValueError("fpd_share must lie in (0, 1]")
    p = np.asarray(pd, dtype=np.float64) * fpd_share
    options.setdefault("outcome", "first-payment defaults")
    return flag_managers_grouped(manager, p, n_loans, n_fpd, **options)


def flag_first_payment_default(
    manager: npt.ArrayLike,
    pd: npt.ArrayLike,
    fpd: npt.ArrayLike,
    *,
    fpd_share: float = DEFAULT_FPD_SHARE,
    fdr: float = 0.05,
    min_expected: float = 5.0,
    null_ratio: float = 1.0,
    exact_max_loans: int = 128,
    winsor: float = 0.1,
    **options: Any,
) -> ManagerFlagReport:
    """Flag managers with excess first-payment defaults (an early fraud signal).

    Parameters
    ----------
    manager, pd : array_like, shape (N,)
        As in :func:`flag_managers`.
    fpd : array_like of {0, 1}, shape (N,)
        1 when the first instalment went 30+ days past due.
    fpd_share : float
        Share of problem loans expected to be first-payment defaults, in (0, 1];
        default :data:`DEFAULT_FPD_SHARE` = 0.25. Calibrate it on the bank's own
        history (portfolio FPD count / sum of PDs).
    fdr, min_expected, null_ratio, exact_max_loans, winsor, **options
        As in :func:`flag_managers` (``peer_group``, ``tau2``, ...); ``min_expected``
        applies to expected FPDs.

    Returns
    -------
    ManagerFlagReport
        ``expected`` counts expected first-payment defaults.

    Notes
    -----
    The expected FPD probability of loan ``i`` is ``fpd_share * p_i``; the test is
    :func:`flag_managers` on those probabilities, with its own honest spread. A manager
    is tested whenever its FPDs could be significant: 26 FPDs against 4.9 expected is
    evidence, whatever ``min_expected`` says.
    """
    if not 0.0 < fpd_share <= 1.0:
        raise ValueError("fpd_share must lie in (0, 1]")
    p = np.asarray(pd, dtype=np.float64) * fpd_share
    options.setdefault("outcome", "first-payment defaults")
    return flag_managers(
        manager, p, fpd, fdr=fdr, min_expected=min_expected, null_ratio=null_ratio,
        exact_max_loans=exact_max_loans, winsor=winsor, **options,
    )
