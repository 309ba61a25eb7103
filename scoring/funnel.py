"""Funnel plots of observed/expected and the spread of honest units around them.

Two funnels live here.

* :func:`funnel_limits`: Spiegelhalter's normal funnel on the ratio scale, with the
  winsorised over-dispersion ratio ``phi`` and the additive random-effects variance
  ``tau^2`` (DerSimonian-Laird form) [1]_ [2]_. It needs only expected counts.
* The random-effects funnel that :func:`scoring.flag_managers` decides with: an honest
  manager's loans default with log-odds ``logit(p_i) + b``, ``b ~ N(0, tau^2)``; the
  manager's exact Poisson-binomial z-score is shrunk by
  ``lambda = 1 / sqrt(1 + J tau^2)`` (:func:`shrinkage`), which is
  ``z = (y - theta0) / sqrt(s^2 + tau^2)`` of [2]_ with ``(y - theta0) / s`` the exact
  z-score and ``s^2 = 1 / J`` on the log-odds scale. ``tau^2`` is estimated robustly
  (:func:`robust_spread`); limits at any level are the counts where the shrunk z-score
  crosses that level (:func:`exact_count_limits`, :func:`saddlepoint_count_limits`).

References
----------
.. [1] D. J. Spiegelhalter, "Funnel plots for comparing institutional performance",
   Stat. Med. 24 (2005) 1185-1202.
.. [2] D. J. Spiegelhalter, "Handling over-dispersion of performance indicators",
   Qual. Saf. Health Care 14 (2005) 347-351.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from scoring.normal import Z_95, Z_998, norm_isf
from scoring.poisson_binomial import ExactBooks, SaddlepointBooks, z_from_tails

__all__ = [
    "FunnelLimits",
    "exact_count_limits",
    "funnel_limits",
    "robust_spread",
    "saddlepoint_count_limits",
    "shrinkage",
    "winsorised_overdispersion",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Median of |Z| for standard-normal Z, and the large-sample standard error factor of a
#: sample median of |Z|: ``1 / (2 f(0.6745))`` with ``f`` the density of |Z| there.
MEDIAN_ABS_Z = 0.6744897501960817
MEDIAN_ABS_Z_SE = 1.0 / (4.0 * math.exp(-0.5 * MEDIAN_ABS_Z**2) / math.sqrt(2.0 * math.pi))


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
    decision : numpy.ndarray, optional
        The ratio at which a unit of this volume is flagged, when the limits come from
        :meth:`scoring.ManagerFlagReport.funnel` (None from :func:`funnel_limits`).
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
    decision: FloatArray | None = None


def winsorised_overdispersion(
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
        phi, t2 = winsorised_overdispersion(z, s2, winsor)
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
# The random-effects funnel
# --------------------------------------------------------------------------------------


def shrinkage(x: npt.ArrayLike, n: npt.ArrayLike, e: npt.ArrayLike, tau2: float) -> FloatArray:
    """Random-effects shrinkage ``lambda`` of a book's z-score at count ``x``.

    Parameters
    ----------
    x : array_like
        Count (continuity-corrected: ``k - 1/2`` for a tail ``P(X >= k)``).
    n, e : array_like
        Trials (loans) and null expected count of each book.
    tau2 : float
        Between-book variance of the log-odds ``b`` of honest books.

    Notes
    -----
    The book is approximated by a Binomial(n, q0), ``q0 = e / n``, whose log-odds an
    honest book shifts by ``b ~ N(0, tau^2)``. With ``D(b)`` the deviance of the count
    ``x`` under the shift ``b`` (``n KL(x/n || q_b)``, ``q_b = q0 e^b / (1 - q0 + q0 e^b)``),
    the Laplace approximation of the marginal tail gives the squared z-score
    ``2 min_b [D(b) + b^2 / (2 tau^2)]`` against ``2 D(0)`` without the spread, so

    ``lambda = sqrt(min_b [D(b) + b^2 / (2 tau^2)] / D(0))``

    and the decision score is ``lambda z`` with ``z`` the book's exact z-score. For a
    normal within-book error this is ``z s / sqrt(s^2 + tau^2)``, Spiegelhalter's
    random-effects z-score on the log-odds scale [2]_. The minimiser lies between 0
    and the count's own log-odds shift; it is found by Newton's method safeguarded by
    bisection in that bracket. ``tau2 = 0`` gives 1 exactly; ``x <= 0`` gives the
    normal value ``1 / sqrt(1 + n q0 (1 - q0) tau^2)``.
    """
    xx, nn, ee = np.broadcast_arrays(
        np.asarray(x, dtype=np.float64), np.asarray(n, dtype=np.float64), np.asarray(e, dtype=np.float64)
    )
    if tau2 == 0.0:
        return np.ones(xx.shape)
    q0 = ee / nn
    qx = np.clip(xx / nn, 1e-12, 1.0 - 1e-12)
    lq0 = np.log(q0 / (1.0 - q0))
    t_hat = np.log(qx / (1.0 - qx)) - lq0

    def deviance(b: FloatArray) -> FloatArray:
        # n KL(qx || q_b) with log q_b = log q0 + b - log(1 - q0 + q0 e^b), stable for large |b|
        log_norm = np.logaddexp(np.log1p(-q0), np.log(q0) + b)
        lqb = np.log(q0) + b - log_norm
        l1qb = np.log1p(-q0) - log_norm
        out: FloatArray = nn * (qx * (np.log(qx) - lqb) + (1.0 - qx) * (np.log1p(-qx) - l1qb))
        return np.maximum(out, 0.0)

    lo = np.minimum(t_hat, 0.0)
    hi = np.maximum(t_hat, 0.0)
    b = t_hat * tau2 * nn * q0 * (1.0 - q0) / (1.0 + tau2 * nn * q0 * (1.0 - q0))
    for _ in range(60):
        qb = 1.0 / (1.0 + np.exp(-(lq0 + b)))
        g1 = nn * (qb - qx) + b / tau2
        g2 = nn * qb * (1.0 - qb) + 1.0 / tau2
        lo = np.where(g1 < 0.0, b, lo)
        hi = np.where(g1 > 0.0, b, hi)
        b_new = b - g1 / g2
        b_new = np.where((b_new >= lo) & (b_new <= hi), b_new, 0.5 * (lo + hi))
        if np.all(np.abs(b_new - b) < 1e-12):
            b = b_new
            break
        b = b_new
    d0 = deviance(np.zeros(xx.shape))
    d_re = deviance(b) + b * b / (2.0 * tau2)
    normal = 1.0 / np.sqrt(1.0 + nn * q0 * (1.0 - q0) * tau2)
    with np.errstate(divide="ignore", invalid="ignore"):
        lam = np.sqrt(np.clip(d_re / d0, 0.0, 1.0))
    out: FloatArray = np.where((xx > 0.0) & (d0 > 1e-10), lam, normal)
    return out


def null_z(observed: FloatArray, n: FloatArray, e: FloatArray, v: FloatArray) -> FloatArray:
    """Signed-root-deviance z-score of each count, for estimating the spread.

    ``z = sign(O - e) sqrt(2 D(O))`` for the Binomial(n, e/n) of :func:`shrinkage`,
    scaled by ``sqrt(e (1 - e/n) / v)`` so its null variance is the Poisson-binomial
    ``v`` rather than the Binomial's; no continuity correction (a mid-p-like score).
    """
    q0 = e / n
    qx = np.clip(observed / n, 1e-12, 1.0 - 1e-12)
    d = n * (qx * np.log(qx / q0) + (1.0 - qx) * np.log((1.0 - qx) / (1.0 - q0)))
    d = np.where(observed <= 0, -n * np.log1p(-q0), d)
    out: FloatArray = np.sign(observed - e) * np.sqrt(np.maximum(2.0 * d, 0.0)) * np.sqrt(e * (1.0 - q0) / v)
    return out


@dataclass(frozen=True)
class Spread:
    """Robust estimate of the honest spread (see :func:`robust_spread`)."""

    tau2: float
    phi: float
    median_abs_z: float
    critical: float
    overdispersed: bool
    n_units: int


def robust_spread(
    z0: FloatArray,
    shrink: Callable[[float], FloatArray],
    *,
    level: float = 0.01,
    min_units: int = 10,
    trimmed: float = 0.0,
) -> Spread:
    """Between-unit log-odds variance ``tau^2`` from the median of the absolute z-scores.

    Parameters
    ----------
    z0 : numpy.ndarray
        Null z-scores of the units that inform the estimate (:func:`null_z`).
    shrink : callable
        ``shrink(tau2)``: their :func:`shrinkage` factors at ``tau2``.
    level : float
        One-sided level of the over-dispersion test.
    min_units : int
        Fewer units than this: no estimate (``tau^2 = 0``, ``phi`` NaN).
    trimmed : float
        Upper-tail share of honest units left out before (units with a one-sided
        p-value below it were set aside); the target median is that of a standard
        normal without its top ``trimmed``: ``m* = Phi^-1(0.75 - trimmed / 4)``.

    Returns
    -------
    Spread

    Notes
    -----
    Under honest spread ``tau^2`` the shrunk scores ``lambda(tau^2) z0`` are standard
    normal, so their median absolute value is ``m* = 0.6745`` (less after trimming).
    ``tau^2`` solves ``median |lambda(tau^2) z0| = m*`` (bisection; the left side falls
    in ``tau^2``). The median ignores up to half the units, so a minority
    of managers who really are worse cannot inflate the spread their own test is judged
    against (a one-sided 4 % excess left in moves it by about 5 %, to the conservative
    side). Over-dispersion is declared only when ``M0 = median |z0|`` exceeds
    ``m* + z_level * 0.787 / sqrt(I)``, its null ``1 - level`` point; otherwise
    ``tau^2 = 0`` and the test is the exact Poisson-binomial one.
    ``phi = (M0 / m*)^2`` is reported as the robust over-dispersion ratio.
    """
    ok = np.isfinite(z0)
    n_units = int(ok.sum())
    if n_units < min_units:
        m0 = float(np.median(np.abs(z0[ok]))) if n_units else math.nan
        return Spread(0.0, math.nan, m0, math.inf, False, n_units)
    a = np.abs(z0)
    m0 = float(np.median(a[ok]))

    def med(t2: float) -> float:
        return float(np.median((a * shrink(t2))[ok]))

    target = float(-norm_isf(np.array([0.75 - trimmed / 4.0]))[0])
    z_level = float(norm_isf(np.array([level]))[0])
    critical = target + z_level * MEDIAN_ABS_Z_SE / math.sqrt(n_units)
    phi = (m0 / target) ** 2
    if m0 <= critical:
        return Spread(0.0, phi, m0, critical, False, n_units)
    lo, hi = 0.0, 1.0
    while med(hi) > target and hi < 1e4:
        lo, hi = hi, hi * 4.0
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        if med(mid) > target:
            lo = mid
        else:
            hi = mid
    return Spread(0.5 * (lo + hi), phi, m0, critical, True, n_units)


def exact_count_limits(
    books: ExactBooks, e: FloatArray, tau2: float, target: FloatArray, *, upper: bool
) -> FloatArray:
    """Count limits of exactly computed books where the shrunk z-score crosses ``target``.

    ``upper=True``: the smallest count ``k`` with ``lambda z(k) >= target`` (so a book is
    above the limit iff its z-score reaches ``target``). ``upper=False``: the largest
    count ``k`` with ``lambda z(k + 1) <= target`` (``target < 0``: significantly low), or
    -1 when there is none. ``e`` and ``target`` are aligned with ``books.books``.
    """
    n = books.sizes.astype(np.float64)

    def score(k: IntArray) -> FloatArray:
        up, lo = books.tails(k)
        out: FloatArray = shrinkage(k - 0.5, n, e, tau2) * z_from_tails(up, lo)
        return out

    lo_k = np.zeros(n.size, dtype=np.int64)
    hi_k = books.sizes + 1  # score(n + 1) = +inf always reaches
    while np.any(lo_k < hi_k):
        mid = (lo_k + hi_k) // 2
        s = score(mid)
        reach = s >= target if upper else s > target
        hi_k = np.where(reach, mid, hi_k)
        lo_k = np.where(reach, lo_k, mid + 1)
    if upper:
        return lo_k.astype(np.float64)
    return (lo_k - 2).astype(np.float64)


def saddlepoint_count_limits(
    books: SaddlepointBooks, tau2: float, target: FloatArray, *, tol: float = 1e-10, max_iter: int = 60
) -> FloatArray:
    """Continuous count ``x`` where the shrunk saddlepoint z-score equals ``target``.

    The score at count ``k`` is ``lambda(x) z(x)`` with ``x = k - 1/2``; it rises with
    ``x``. Solved in the saddlepoint ``t`` (``x = K'(t)``), so each step is one pass over
    the cells of the books still unsolved: Newton with the slope ``lambda sqrt(K''(t))``
    (``dw/dt ~ sqrt(K'')`` for the Lugannani-Rice ``w``), bisection when a step leaves
    the bracket where ``x`` is within ``~1e-7`` of 0 or ``n`` (``t`` from
    ``-16 + log(1 - p_max)`` to ``16 - log(p_min)``). Books whose score cannot reach
    ``target`` inside it get NaN. The count limit is ``x + 1/2``
    for an upper limit and ``x - 1/2`` for a lower one.
    """
    def score(bk: SaddlepointBooks, t: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        k0, k1, k2 = bk.cumulants(t)
        lam = shrinkage(k1, bk.n, bk.mu, tau2)
        f = lam * bk.tails_at(t, k1, k0, k2)[2]
        return np.where(np.isfinite(f), f, np.sign(f) * 1e6), k1, lam * np.sqrt(np.maximum(k2, 1e-300))

    m = books.m
    x_out = np.full(m, np.nan)
    p_min = np.full(m, 1.0)
    p_max = np.zeros(m)
    np.minimum.at(p_min, books.code, books.p)
    np.maximum.at(p_max, books.code, books.p)
    edge_hi = 16.0 - np.log(p_min)
    edge_lo = -16.0 + np.log1p(-p_max)
    reach_hi = score(books, edge_hi)[0] >= target
    reach_lo = score(books, edge_lo)[0] <= target
    todo = np.flatnonzero(reach_hi & reach_lo)
    if todo.size == 0:
        return x_out
    bk = books.subset(todo)
    tg = target[todo]
    edge_hi, edge_lo = edge_hi[todo], edge_lo[todo]
    # start from the normal approximation of the count
    guess = bk.mu + tg * np.sqrt(bk.var * (1.0 + bk.var * tau2))
    xs = np.clip(guess, 0.25, bk.n - 0.25)
    pbar = bk.mu / bk.n
    t = np.clip(np.log(xs / (bk.n - xs)) - np.log(pbar / (1.0 - pbar)), edge_lo, edge_hi)
    lo = edge_lo.copy()
    hi = edge_hi.copy()
    t_prev = np.full(todo.size, np.nan)
    f_prev = np.full(todo.size, np.nan)
    for _ in range(max_iter):
        f, x, slope = score(bk, t)
        f = f - tg
        lo = np.where(f < 0.0, t, lo)
        hi = np.where(f > 0.0, t, hi)
        done = (np.abs(f) <= tol * np.maximum(1.0, np.abs(tg))) | (hi - lo < 1e-12)
        if np.any(done):
            x_out[todo[done]] = x[done]
            keep = np.flatnonzero(~done)
            if keep.size == 0:
                break
            todo, tg, t, lo, hi = todo[keep], tg[keep], t[keep], lo[keep], hi[keep]
            f, slope, t_prev, f_prev = f[keep], slope[keep], t_prev[keep], f_prev[keep]
            bk = bk.subset(keep)
        # secant slope once two points are known (the Newton slope ignores lambda's change)
        with np.errstate(divide="ignore", invalid="ignore"):
            secant = (f - f_prev) / (t - t_prev)
        slope = np.where(np.isfinite(secant) & (secant > 0), secant, slope)
        t_prev, f_prev = t, f
        t_new = t - f / slope
        t = np.where((t_new > lo) & (t_new < hi), t_new, 0.5 * (lo + hi))
    return x_out
