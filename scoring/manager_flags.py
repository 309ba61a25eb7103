"""Credit managers with more problem loans than their loans' PDs explain.

A manager's problem-loan count is compared with the count expected from the probability
of default (PD) assigned to each loan at issue, so a VIP book (PD ~1 %) and a
point-of-sale book (PD ~15 %) are judged against their own expectation. Each manager is
tested one-sided against the Poisson-binomial distribution of the count implied by the
PDs, the p-values are adjusted with Benjamini-Hochberg across the managers that carry
enough expected problems to be tested, and the report carries Spiegelhalter (2005)
funnel-plot control limits with an over-dispersion estimate beside the test.

Run time is numpy only. Grouping is ``np.unique(return_inverse=True)`` + ``np.bincount``;
the upper tail is exact (a batched dynamic programme over padded books) for books of at
most ``exact_max_loans`` loans and a continuity-corrected Lugannani-Rice saddlepoint
approximation, solved by a vectorised Newton iteration over all managers at once, above.

References
----------
.. [1] D. J. Spiegelhalter, "Funnel plots for comparing institutional performance",
   Stat. Med. 24 (2005) 1185-1202.
.. [2] D. J. Spiegelhalter, "Handling over-dispersion of performance indicators",
   Qual. Saf. Health Care 14 (2005) 347-351.
.. [3] Y. Benjamini, Y. Hochberg, "Controlling the false discovery rate", J. R. Stat.
   Soc. B 57 (1995) 289-300.
.. [4] H. E. Daniels, "Tail probability approximations", Int. Stat. Rev. 55 (1987)
   37-48 (second continuity correction); R. W. Butler, "Saddlepoint Approximations with
   Applications" (2007), section 1.2.5.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

__all__ = [
    "DEFAULT_FPD_SHARE",
    "FunnelLimits",
    "ManagerFlagReport",
    "benjamini_hochberg",
    "flag_first_payment_default",
    "flag_managers",
    "funnel_limits",
    "poisson_binomial_upper_tail",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: Share of all problem loans (90+ dpd) that already miss the first instalment by 30+
#: days. The expected first-payment-default probability of a loan is ``fpd_share * pd``.
DEFAULT_FPD_SHARE = 0.25

#: Two-sided 95 % and 99.8 % standard-normal quantiles (Phi^-1(0.975), Phi^-1(0.999)).
Z_95 = 1.959963984540054
Z_998 = 3.090232306167813

_SQRT2 = math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_erfc = np.vectorize(math.erfc, otypes=[np.float64])


def _gsum(code: IntArray, weights: FloatArray, n_groups: int) -> FloatArray:
    """Per-group sum of ``weights`` (``np.bincount`` with weights)."""
    out: FloatArray = np.bincount(code, weights=weights, minlength=n_groups).astype(
        np.float64, copy=False
    )
    return out


def _norm_sf(x: FloatArray) -> FloatArray:
    """Standard-normal upper tail ``1 - Phi(x)``, full relative precision in both tails."""
    out: FloatArray = 0.5 * _erfc(np.asarray(x, dtype=np.float64) / _SQRT2)
    return out


def _norm_pdf(x: FloatArray) -> FloatArray:
    out: FloatArray = _INV_SQRT_2PI * np.exp(-0.5 * x * x)
    return out


# --------------------------------------------------------------------------------------
# Poisson-binomial upper tail
# --------------------------------------------------------------------------------------


def _exact_tail_groups(
    p_sorted: FloatArray,
    starts: IntArray,
    sizes: IntArray,
    k: IntArray,
    groups: IntArray,
) -> FloatArray:
    """Exact ``P(X_g >= k_g)`` for the listed groups by a batched convolution DP.

    Loans are sorted by group (``p_sorted[starts[g]:starts[g] + sizes[g]]`` is group
    ``g``). Groups are bucketed by the next power of two of their size; a bucket of
    ``m`` groups padded to ``L`` loans (padding has p = 0, which leaves the pmf
    unchanged) costs ``~ m L^2 / 2`` multiply-adds.
    """
    out = np.empty(groups.size, dtype=np.float64)
    if groups.size == 0:
        return out
    gsize = sizes[groups]
    width = np.maximum(8, 1 << np.ceil(np.log2(np.maximum(gsize, 1))).astype(np.int64))
    for L in np.unique(width):
        sel = np.flatnonzero(width == L)
        g = groups[sel]
        n_g = sizes[g]
        m = g.size
        # padded (L, m) matrix of PDs; column j holds group g[j]
        total = int(n_g.sum())
        col = np.repeat(np.arange(m), n_g)
        first = np.cumsum(n_g) - n_g
        row = np.arange(total) - np.repeat(first, n_g)
        src = np.repeat(starts[g], n_g) + row
        P = np.zeros((int(L), m), dtype=np.float64)
        P[row, col] = p_sorted[src]
        pmf = np.zeros((int(L) + 1, m), dtype=np.float64)
        pmf[0] = 1.0
        # rows beyond the largest book in the bucket never change
        for j in range(int(n_g.max())):
            pj = P[j]
            shifted = pmf[: j + 1] * pj
            pmf[: j + 1] *= 1.0 - pj
            pmf[1 : j + 2] += shifted
        sf = np.cumsum(pmf[::-1], axis=0)[::-1]  # sf[i] = P(X >= i)
        kk = k[g]
        idx = np.clip(kk, 0, int(L))
        tail = sf[idx, np.arange(m)]
        tail = np.where(kk <= 0, 1.0, tail)
        tail = np.where(kk > n_g, 0.0, tail)
        out[sel] = np.clip(tail, 0.0, 1.0)
    return out


def _refined_normal_tail(k: FloatArray, mu: FloatArray, var: FloatArray, k3: FloatArray) -> FloatArray:
    """Volkova's refined normal approximation of ``P(X >= k)``."""
    sigma = np.sqrt(var)
    x = (k - 0.5 - mu) / sigma
    gamma = k3 / (sigma**3)
    out: FloatArray = _norm_sf(x) - gamma * (1.0 - x * x) * _norm_pdf(x) / 6.0
    return np.clip(out, 0.0, 1.0)


def _saddlepoint_tail_groups(
    p: FloatArray,
    code: IntArray,
    n_groups: int,
    k: IntArray,
    *,
    tol: float = 1e-10,
    max_iter: int = 60,
) -> FloatArray:
    """Continuity-corrected Lugannani-Rice approximation of ``P(X_g >= k_g)``.

    ``code`` maps each loan to its group ``0..n_groups-1``; every group must be
    non-empty. See :func:`poisson_binomial_upper_tail` for the formulas.
    """
    n = np.bincount(code, minlength=n_groups).astype(np.float64)
    mu = _gsum(code, p, n_groups)
    q = 1.0 - p
    var = _gsum(code, p * q, n_groups)
    kf = k.astype(np.float64)
    out = np.empty(n_groups, dtype=np.float64)
    low = kf <= 0.0
    high = kf > n
    top = kf == n
    out[low] = 1.0
    out[high] = 0.0
    if np.any(top):
        log_prod = _gsum(code, np.log(p), n_groups)
        out[top] = np.exp(log_prod[top])
    inner = ~(low | high | top)
    if not np.any(inner):
        return out

    x = kf - 0.5
    # start at the saddlepoint of the binomial with the same mean (exact if PDs equal)
    pbar = mu / n
    xs = np.clip(x, 0.5, n - 0.5)
    t = np.where(inner, np.log(xs / (n - xs)) - np.log(pbar / (1.0 - pbar)), 0.0)
    lo = np.full(n_groups, -np.inf)
    hi = np.full(n_groups, np.inf)
    for _ in range(max_iter):
        a = p * np.exp(t)[code]
        pi = a / (q + a)
        k1 = _gsum(code, pi, n_groups)
        k2 = _gsum(code, pi * (1.0 - pi), n_groups)
        f = k1 - x
        lo = np.where(f < 0.0, t, lo)
        hi = np.where(f > 0.0, t, hi)
        active = inner & (np.abs(f) > tol * np.maximum(1.0, np.sqrt(var)))
        if not np.any(active):
            break
        step = np.clip(f / np.maximum(k2, 1e-300), -4.0, 4.0)
        t_new = t - step
        outside = (t_new <= lo) | (t_new >= hi)
        both = np.isfinite(lo) & np.isfinite(hi)
        t_new = np.where(outside & both, 0.5 * (lo + hi), t_new)
        t = np.where(active, t_new, t)
    tc = t[code]
    a = p * np.exp(tc)
    pi = a / (q + a)
    k2 = _gsum(code, pi * (1.0 - pi), n_groups)
    cgf = _gsum(code, np.log1p(p * np.expm1(tc)), n_groups)
    w2 = np.maximum(2.0 * (t * x - cgf), 0.0)
    w = np.sign(t) * np.sqrt(w2)
    u = 2.0 * np.sinh(0.5 * t) * np.sqrt(k2)
    centre = inner & (np.abs(w) < 1e-5)
    lr_ok = inner & ~centre
    with np.errstate(divide="ignore", invalid="ignore"):
        lr = _norm_sf(w) + _norm_pdf(w) * (1.0 / u - 1.0 / w)
    out[lr_ok] = np.clip(lr[lr_ok], 0.0, 1.0)
    if np.any(centre):
        k3 = _gsum(code, p * q * (q - p), n_groups)
        out[centre] = _refined_normal_tail(kf, mu, var, k3)[centre]
    return out


def poisson_binomial_upper_tail(
    k: npt.ArrayLike,
    pd: npt.ArrayLike,
    group: npt.ArrayLike | None = None,
    *,
    method: Literal["auto", "exact", "saddlepoint"] = "auto",
    exact_max_loans: int = 128,
) -> FloatArray:
    """Upper tail ``P(X_g >= k_g)`` of Poisson-binomial counts, one per group.

    Parameters
    ----------
    k : array_like of int, shape (m,)
        Observed counts, one per group.
    pd : array_like of float, shape (N,)
        Success probability of each trial (loan), each in (0, 1).
    group : array_like of int, shape (N,), optional
        Group code ``0..m-1`` of each trial; every group must be non-empty. ``None``
        means a single group (then ``k`` is a scalar or length-1 array).
    method : {"auto", "exact", "saddlepoint"}
        ``"exact"``: dynamic programme for every group; ``"saddlepoint"``: the
        approximation for every group; ``"auto"``: exact for groups of at most
        ``exact_max_loans`` trials, saddlepoint above.
    exact_max_loans : int
        Book-size threshold of ``"auto"``.

    Returns
    -------
    numpy.ndarray of float, shape (m,)
        ``P(X_g >= k_g)`` where ``X_g = sum_{i in g} B_i``, ``B_i ~ Bernoulli(p_i)``
        independent.

    Notes
    -----
    Exact: the pmf of ``X`` is built loan by loan,
    ``f_j(x) = f_{j-1}(x) (1 - p_j) + f_{j-1}(x - 1) p_j``, batched over groups of
    similar size padded with ``p = 0`` trials; the tail ``sum_{x >= k} f_n(x)`` is a sum
    of non-negative terms, so small tails keep full relative precision. Cost
    ``O(n^2)`` per group.

    Saddlepoint (Daniels' second continuity correction of Lugannani-Rice): with the
    cumulant generating function ``K(t) = sum_i log(1 - p_i + p_i e^t)``, solve
    ``K'(t) = sum_i p_i e^t / (1 - p_i + p_i e^t) = k - 1/2`` for ``t`` (safeguarded
    Newton, vectorised across groups), then with
    ``w = sign(t) sqrt(2 (t (k - 1/2) - K(t)))`` and
    ``u = 2 sinh(t / 2) sqrt(K''(t))``,
    ``P(X >= k) ~= 1 - Phi(w) + phi(w) (1/u - 1/w)``. Cost ``O(n)`` per Newton
    iteration. Where ``|w| < 1e-5`` (``k - 1/2`` at the mean) the refined normal
    approximation ``1 - Phi(z) - gamma (1 - z^2) phi(z) / 6`` with
    ``z = (k - 1/2 - mu) / sigma``, ``gamma = sum p q (q - p) / sigma^3`` is used.
    ``k <= 0`` gives 1, ``k > n`` gives 0 and ``k = n`` gives ``prod p_i`` exactly.
    Measured accuracy against the exact DP is in ``docs/manager-flags.md``.
    """
    p = np.asarray(pd, dtype=np.float64).ravel()
    kk = np.atleast_1d(np.asarray(k)).astype(np.int64)
    if group is None:
        code = np.zeros(p.size, dtype=np.int64)
    else:
        code = np.asarray(group).astype(np.int64).ravel()
    if code.shape != p.shape:
        raise ValueError("pd and group must have the same length")
    if p.size == 0:
        raise ValueError("no trials")
    if np.any(~(p > 0.0) | ~(p < 1.0)):
        raise ValueError("pd must lie strictly inside (0, 1)")
    m = kk.size
    if code.min() < 0 or code.max() >= m:
        raise ValueError("group codes must lie in 0..len(k)-1")
    sizes = np.bincount(code, minlength=m).astype(np.int64)
    if np.any(sizes == 0):
        raise ValueError("every group needs at least one trial")
    return _tail(p, code, sizes, kk, method=method, exact_max_loans=exact_max_loans)


def _tail(
    p: FloatArray,
    code: IntArray,
    sizes: IntArray,
    k: IntArray,
    *,
    method: Literal["auto", "exact", "saddlepoint"],
    exact_max_loans: int,
) -> FloatArray:
    m = sizes.size
    if method == "exact":
        use_exact = np.ones(m, dtype=bool)
    elif method == "saddlepoint":
        use_exact = np.zeros(m, dtype=bool)
    elif method == "auto":
        use_exact = sizes <= exact_max_loans
    else:
        raise ValueError(f"unknown method {method!r}")
    out = np.empty(m, dtype=np.float64)
    ex = np.flatnonzero(use_exact)
    if ex.size:
        loan_ex = use_exact[code]
        sub_code = code[loan_ex]
        order = np.argsort(sub_code, kind="stable")
        p_sorted = p[loan_ex][order]
        starts = np.zeros(m, dtype=np.int64)
        sub_sizes = np.where(use_exact, sizes, 0)
        starts[1:] = np.cumsum(sub_sizes)[:-1]
        out[ex] = _exact_tail_groups(p_sorted, starts, sizes, k, ex)
    sp = np.flatnonzero(~use_exact)
    if sp.size:
        loan_sp = ~use_exact[code]
        remap = np.full(m, -1, dtype=np.int64)
        remap[sp] = np.arange(sp.size)
        out[sp] = _saddlepoint_tail_groups(p[loan_sp], remap[code[loan_sp]], sp.size, k[sp])
    return out


# --------------------------------------------------------------------------------------
# Multiple testing
# --------------------------------------------------------------------------------------


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
        procedure at FDR ``alpha``.

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


# --------------------------------------------------------------------------------------
# Funnel plot
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class FunnelLimits:
    """Funnel-plot control limits for the ratio observed/expected.

    Attributes
    ----------
    expected : numpy.ndarray
        Expected count of each unit (the funnel's x axis).
    se : numpy.ndarray
        Within-unit standard error ``s_i`` of the ratio under the null.
    lower_95, upper_95, lower_998, upper_998 : numpy.ndarray
        Control limits for the ratio at 95 % and 99.8 % (two-sided), including
        over-dispersion when it was requested and detected. Lower limits are
        clipped at 0.
    z : numpy.ndarray
        ``(ratio - 1) / s_i``; NaN when ``observed`` was not given.
    z_overdispersed : numpy.ndarray
        ``(ratio - 1) / sqrt(s_i^2 + tau2)``.
    phi : float
        Winsorised over-dispersion estimate ``mean(z_w^2)`` (NaN if not estimated).
    tau2 : float
        Additive random-effects variance on the ratio scale (0 if none).
    """

    expected: FloatArray
    se: FloatArray
    lower_95: FloatArray
    upper_95: FloatArray
    lower_998: FloatArray
    upper_998: FloatArray
    z: FloatArray
    z_overdispersed: FloatArray
    phi: float
    tau2: float


def _estimate_overdispersion(
    z: FloatArray, s2: FloatArray, winsor: float
) -> tuple[float, float]:
    """Spiegelhalter's winsorised ``phi`` and additive ``tau^2`` (DerSimonian-Laird)."""
    ok = np.isfinite(z) & np.isfinite(s2) & (s2 > 0)
    z = z[ok]
    s2 = s2[ok]
    n_units = z.size
    if n_units < 2:
        return math.nan, 0.0
    lo, hi = np.quantile(z, [winsor, 1.0 - winsor])
    zw = np.clip(z, lo, hi)
    phi = float(np.mean(zw * zw))
    if n_units * phi <= n_units - 1:
        return phi, 0.0
    w = 1.0 / s2
    denom = float(w.sum() - (w * w).sum() / w.sum())
    tau2 = (n_units * phi - (n_units - 1)) / denom if denom > 0 else 0.0
    return phi, max(tau2, 0.0)


def funnel_limits(
    expected: npt.ArrayLike,
    *,
    observed: npt.ArrayLike | None = None,
    variance: npt.ArrayLike | None = None,
    overdispersion: bool = True,
    winsor: float = 0.1,
    tau2: float | None = None,
) -> FunnelLimits:
    """Over-dispersion-adjusted funnel limits for ``observed / expected`` vs ``expected``.

    Parameters
    ----------
    expected : array_like of float, shape (m,)
        Expected count per unit (sum of PDs), > 0.
    observed : array_like of float, shape (m,), optional
        Observed counts; needed to estimate over-dispersion and for the z-scores.
    variance : array_like of float, shape (m,), optional
        Null variance of the observed count (for Poisson-binomial counts
        ``sum p_i (1 - p_i)``). Default: ``expected`` (Poisson), giving the classic
        smooth funnel ``s^2 = 1 / E``.
    overdispersion : bool
        Estimate ``phi`` and, if over-dispersed, widen the limits by ``tau2``.
    winsor : float
        Fraction winsorised at each end of the z-scores before estimating ``phi``.
    tau2 : float, optional
        Use this between-unit variance instead of estimating it.

    Returns
    -------
    FunnelLimits

    Notes
    -----
    Following Spiegelhalter (2005a, 2005b), on the ratio scale ``y_i = O_i / E_i``
    with target 1 and within-unit variance ``s_i^2 = V_i / E_i^2``:

    * z-scores ``z_i = (y_i - 1) / s_i``;
    * ``phi = (1/I) sum z_w,i^2`` where ``z_w`` are the z-scores with the lowest and
      highest ``winsor`` fraction set to the ``winsor`` and ``1 - winsor`` quantiles;
    * if ``I phi > I - 1`` (``phi > (I-1)/I``), additive random effects
      ``tau^2 = (I phi - (I - 1)) / (sum w_i - sum w_i^2 / sum w_i)``, ``w_i = 1/s_i^2``,
      else ``tau^2 = 0``;
    * limits ``1 +/- z_alpha sqrt(s_i^2 + tau^2)`` with ``z_alpha`` = 1.960 (95 %) and
      3.090 (99.8 %); overdispersed z-score ``(y_i - 1) / sqrt(s_i^2 + tau^2)``.

    ``tau^2`` is constant, so at large volumes the limits stop narrowing (a large
    book is not expected to match the PDs more closely than honest managers differ
    among themselves); as expected volume falls ``s_i`` grows and the funnel widens.
    """
    e = np.asarray(expected, dtype=np.float64).ravel()
    if np.any(~(e > 0)):
        raise ValueError("expected must be > 0")
    v = e if variance is None else np.asarray(variance, dtype=np.float64).ravel()
    if v.shape != e.shape or np.any(~(v > 0)):
        raise ValueError("variance must be > 0 and aligned with expected")
    s2 = v / (e * e)
    if observed is None:
        z = np.full(e.shape, np.nan)
    else:
        o = np.asarray(observed, dtype=np.float64).ravel()
        if o.shape != e.shape:
            raise ValueError("observed must be aligned with expected")
        z = (o / e - 1.0) / np.sqrt(s2)
    phi = math.nan
    if tau2 is not None:
        t2 = float(tau2)
        if t2 < 0:
            raise ValueError("tau2 must be >= 0")
    elif overdispersion:
        if observed is None:
            raise ValueError("estimating over-dispersion needs observed counts")
        phi, t2 = _estimate_overdispersion(z, s2, winsor)
    else:
        t2 = 0.0
    return _limits(e, s2, z, phi, t2)


def _limits(e: FloatArray, s2: FloatArray, z: FloatArray, phi: float, tau2: float) -> FunnelLimits:
    total_sd = np.sqrt(s2 + tau2)
    z_od = z * np.sqrt(s2) / total_sd
    return FunnelLimits(
        expected=e,
        se=np.sqrt(s2),
        lower_95=np.maximum(1.0 - Z_95 * total_sd, 0.0),
        upper_95=1.0 + Z_95 * total_sd,
        lower_998=np.maximum(1.0 - Z_998 * total_sd, 0.0),
        upper_998=1.0 + Z_998 * total_sd,
        z=z,
        z_overdispersed=z_od,
        phi=phi,
        tau2=tau2,
    )


# --------------------------------------------------------------------------------------
# Manager flags
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class ManagerFlagReport:
    """Per-manager result of :func:`flag_managers`; all arrays are aligned.

    Attributes
    ----------
    managers : numpy.ndarray
        Manager ids, sorted (``np.unique`` order), original dtype.
    loans : numpy.ndarray of int
        Number of loans.
    observed : numpy.ndarray of int
        Problem loans observed.
    expected : numpy.ndarray of float
        Problem loans expected, ``sum p_i``.
    variance : numpy.ndarray of float
        Null variance ``sum p_i (1 - p_i)``.
    ratio : numpy.ndarray of float
        ``observed / expected``.
    z : numpy.ndarray of float
        ``(observed - expected) / sqrt(variance)``.
    z_overdispersed : numpy.ndarray of float
        z-score against the over-dispersed funnel, ``(ratio-1)/sqrt(s^2 + tau2)``.
    p_value : numpy.ndarray of float
        One-sided ``P(X >= observed)`` under the PDs (computed for every manager).
    q_value : numpy.ndarray of float
        BH q-value within the tested family; NaN for untested managers.
    tested : numpy.ndarray of bool
        ``expected >= min_expected``: member of the BH family.
    flagged : numpy.ndarray of bool
        ``tested & (q_value <= fdr)``.
    tail_method : numpy.ndarray of str
        ``"exact"`` or ``"saddlepoint"``: how ``p_value`` was computed.
    reasons : numpy.ndarray of str
        Human-readable reason per manager.
    lower_95, upper_95, lower_998, upper_998 : numpy.ndarray of float
        Over-dispersion-adjusted funnel limits for ``ratio`` at each manager's volume.
    phi : float
        Winsorised over-dispersion ratio estimated over the tested managers.
    tau2 : float
        Additive between-manager variance of the ratio (0 when not over-dispersed).
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
    ratio: FloatArray
    z: FloatArray
    z_overdispersed: FloatArray
    p_value: FloatArray
    q_value: FloatArray
    tested: BoolArray
    flagged: BoolArray
    tail_method: npt.NDArray[np.str_]
    reasons: npt.NDArray[np.str_]
    lower_95: FloatArray
    upper_95: FloatArray
    lower_998: FloatArray
    upper_998: FloatArray
    phi: float
    tau2: float
    fdr: float
    min_expected: float
    outcome: str

    def shortlist(self) -> IntArray:
        """Indices of the flagged managers, most significant first (q, then ratio)."""
        idx = np.flatnonzero(self.flagged)
        order = np.lexsort((-self.ratio[idx], self.q_value[idx]))
        out: IntArray = idx[order].astype(np.int64)
        return out


def _fmt_num(x: float) -> str:
    return f"{x:.2g}" if x < 0.001 else f"{x:.3f}"


def _reasons(
    observed: IntArray,
    expected: FloatArray,
    ratio: FloatArray,
    q: FloatArray,
    tested: BoolArray,
    flagged: BoolArray,
    min_expected: float,
    outcome: str,
) -> npt.NDArray[np.str_]:
    out: list[str] = []
    for o, e, r, qv, t, f in zip(
        observed.tolist(),
        expected.tolist(),
        ratio.tolist(),
        q.tolist(),
        tested.tolist(),
        flagged.tolist(),
        strict=True,
    ):
        if not t:
            out.append(
                f"insufficient data: {e:.1f} expected {outcome} < {min_expected:g}"
                f" ({o} observed)"
            )
        elif f:
            out.append(f"flagged: {outcome} {r:.1f}x expected (q={_fmt_num(qv)})")
        else:
            out.append(f"within expectation: {outcome} {r:.1f}x expected (q={_fmt_num(qv)})")
    return np.array(out, dtype=np.str_)


def flag_managers(
    manager: npt.ArrayLike,
    pd: npt.ArrayLike,
    bad: npt.ArrayLike,
    *,
    fdr: float = 0.05,
    min_expected: float = 5.0,
    null_ratio: float = 1.0,
    exact_max_loans: int = 128,
    winsor: float = 0.1,
    outcome: str = "problem loans",
) -> ManagerFlagReport:
    """Flag credit managers with significantly more problem loans than their PDs imply.

    Parameters
    ----------
    manager : array_like, shape (N,)
        Manager id of each loan; any sortable dtype (int, str, ...).
    pd : array_like of float, shape (N,)
        PD at issue of each loan, strictly inside (0, 1).
    bad : array_like of {0, 1} or bool, shape (N,)
        1 for a problem loan (90+ days past due).
    fdr : float
        Benjamini-Hochberg false-discovery rate across the tested managers.
    min_expected : float
        Managers with ``expected < min_expected`` are "insufficient data": reported
        but never tested, never flagged and not part of the BH family.
    exact_max_loans : int
        Books of at most this many loans get the exact tail, larger ones the
        saddlepoint approximation.
    null_ratio : float
        Materiality margin, >= 1. The null hypothesis is "the manager's loans default
        at ``null_ratio`` times their PDs" (each capped below 1), so only managers
        significantly worse than that are flagged. 1.0 (default) tests against the
        PDs themselves; 1.2 tolerates honest calibration error of up to 20 % between
        managers, which matters for very large books (see ``docs/manager-flags.md``).
        ``expected`` and ``ratio`` are always relative to the PDs themselves.
    winsor : float
        Winsorising fraction for the funnel's over-dispersion estimate.
    outcome : str
        Wording used in ``reasons``.

    Returns
    -------
    ManagerFlagReport

    Notes
    -----
    For manager ``g`` with loans ``i in g``: ``O_g = sum bad_i``,
    ``E_g = sum p_i``, ``V_g = sum p_i (1 - p_i)``. Under the null "the manager's
    loans default at their PDs", ``O_g`` is Poisson-binomial and the one-sided p-value
    is ``P(X_g >= O_g)`` with ``X_g`` Poisson-binomial on ``min(null_ratio p_i, 1)``
    (``null_ratio = 1`` by default) (exact DP or saddlepoint, see
    :func:`poisson_binomial_upper_tail`). The family is ``{g : E_g >= min_expected}``:
    below that even a doubling of the rate is rarely detectable and the normal-based
    funnel is unreliable, and leaving such managers out keeps the BH penalty ``m``
    small. ``q = BH(p)`` over the family; flagged iff ``q <= fdr``. The p-value is
    one-sided (only excess problems matter) and conservative for a discrete count
    (``P(X >= O)``, not mid-p).

    The funnel fields follow :func:`funnel_limits` with ``V_g`` as the variance, and
    ``phi``/``tau2`` estimated over the tested managers only. They describe
    between-manager over-dispersion (PDs imperfectly calibrated per manager); the
    flag itself is the Poisson-binomial test, which treats the PDs as correct.
    """
    if not 0.0 < fdr < 1.0:
        raise ValueError("fdr must lie in (0, 1)")
    if not min_expected >= 0.0:
        raise ValueError("min_expected must be >= 0")
    if not 1.0 <= null_ratio < 100.0:
        raise ValueError("null_ratio must lie in [1, 100)")
    ids = np.asarray(manager)
    p = np.asarray(pd, dtype=np.float64).ravel()
    b_raw = np.asarray(bad).ravel()
    if ids.ndim != 1 or ids.shape != p.shape or b_raw.shape != p.shape:
        raise ValueError("manager, pd and bad must be 1-D arrays of the same length")
    if p.size == 0:
        raise ValueError("no loans")
    if np.any(~(p > 0.0) | ~(p < 1.0)):
        raise ValueError("pd must lie strictly inside (0, 1)")
    b = b_raw.astype(np.int64)
    if np.any((b != 0) & (b != 1)) or np.any(b != b_raw):
        raise ValueError("bad must be 0/1")

    managers, inv = np.unique(ids, return_inverse=True)
    code = inv.astype(np.int64).ravel()
    m = managers.size
    loans = np.bincount(code, minlength=m).astype(np.int64)
    observed = np.bincount(code, weights=b, minlength=m).round().astype(np.int64)
    expected = _gsum(code, p, m)
    variance = _gsum(code, p * (1.0 - p), m)
    ratio = observed / expected

    p_null = p if null_ratio == 1.0 else np.minimum(p * null_ratio, 1.0 - 1e-9)
    p_value = _tail(p_null, code, loans, observed, method="auto", exact_max_loans=exact_max_loans)
    tail_method = np.where(loans <= exact_max_loans, "exact", "saddlepoint").astype(np.str_)

    tested = expected >= min_expected
    q_value = np.full(m, np.nan)
    q_value[tested] = benjamini_hochberg(p_value[tested])
    flagged = tested & (np.nan_to_num(q_value, nan=1.0) <= fdr)

    s2 = variance / (expected * expected)
    z = (ratio - 1.0) / np.sqrt(s2)
    phi, tau2 = _estimate_overdispersion(z[tested], s2[tested], winsor)
    lim = _limits(expected, s2, z, phi, tau2)

    return ManagerFlagReport(
        managers=managers,
        loans=loans,
        observed=observed,
        expected=expected,
        variance=variance,
        ratio=ratio,
        z=z,
        z_overdispersed=lim.z_overdispersed,
        p_value=p_value,
        q_value=q_value,
        tested=tested,
        flagged=flagged,
        tail_method=tail_method,
        reasons=_reasons(observed, expected, ratio, q_value, tested, flagged, min_expected, outcome),
        lower_95=lim.lower_95,
        upper_95=lim.upper_95,
        lower_998=lim.lower_998,
        upper_998=lim.upper_998,
        phi=phi,
        tau2=tau2,
        fdr=fdr,
        min_expected=min_expected,
        outcome=outcome,
    )


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
    fdr, min_expected, null_ratio, exact_max_loans, winsor
        As in :func:`flag_managers`; ``min_expected`` applies to expected FPDs.

    Returns
    -------
    ManagerFlagReport
        ``expected`` counts expected first-payment defaults.

    Notes
    -----
    The expected FPD probability of loan ``i`` is ``fpd_share * p_i``; the test is
    :func:`flag_managers` on those probabilities (FPD is a subset of defaults, so its
    probability is a fraction of the PD; a single portfolio-wide share keeps the
    product-mix adjustment of the PDs). Because the expected FPD count is about a
    quarter of the expected default count, a manager needs roughly four times the
    volume to be testable.
    """
    if not 0.0 < fpd_share <= 1.0:
        raise ValueError("fpd_share must lie in (0, 1]")
    p = np.asarray(pd, dtype=np.float64) * fpd_share
    return flag_managers(
        manager,
        p,
        fpd,
        fdr=fdr,
        min_expected=min_expected,
        null_ratio=null_ratio,
        exact_max_loans=exact_max_loans,
        winsor=winsor,
        outcome="first-payment defaults",
    )
