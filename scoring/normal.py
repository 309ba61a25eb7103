"""Standard-normal tail functions in numpy alone (no scipy): ``sf``, ``pdf`` and ``isf``.

``norm_isf`` is Acklam's rational approximation of the normal quantile refined by one
Halley step on ``erfc``, so it is accurate to a few ulps across (1e-300, 1); a log-space
variant covers tails below the smallest double.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

__all__ = ["Z_95", "Z_998", "norm_isf", "norm_isf_log", "norm_pdf", "norm_sf"]

FloatArray = npt.NDArray[np.float64]

#: Two-sided 95 % and 99.8 % standard-normal quantiles (Phi^-1(0.975), Phi^-1(0.999)).
Z_95 = 1.959963984540054
Z_998 = 3.090232306167813

_SQRT2 = math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
_erfc = np.vectorize(math.erfc, otypes=[np.float64])

# Acklam's coefficients (central region and tails) for Phi^-1(p).
_A = (-3.969683028665376e01, 2.209460984245205e02, -2.759285104469687e02,
      1.383577518672690e02, -3.066479806614716e01, 2.506628277459239e00)
_B = (-5.447609879822406e01, 1.615858368580409e02, -1.556989798598866e02,
      6.680131188771972e01, -1.328068155288572e01)
_C = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e00,
      -2.549732539343734e00, 4.374664141464968e00, 2.938163982698783e00)
_D = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e00, 3.754408661907416e00)
_P_LOW = 0.02425


def norm_sf(x: npt.ArrayLike) -> FloatArray:
    """Upper tail ``1 - Phi(x)`` with full relative precision in both tails."""
    out: FloatArray = 0.5 * _erfc(np.asarray(x, dtype=np.float64) / _SQRT2)
    return out


def norm_pdf(x: npt.ArrayLike) -> FloatArray:
    """Standard-normal density."""
    xx = np.asarray(x, dtype=np.float64)
    out: FloatArray = _INV_SQRT_2PI * np.exp(-0.5 * xx * xx)
    return out


def _acklam_upper(q: FloatArray) -> FloatArray:
    """First approximation of ``z`` with ``1 - Phi(z) = q``, ``q`` in (0, 1)."""
    z = np.empty_like(q)
    low = q < _P_LOW
    high = q > 1.0 - _P_LOW
    mid = ~(low | high)
    if np.any(mid):
        r = q[mid] - 0.5
        s = r * r
        num = ((((_A[0] * s + _A[1]) * s + _A[2]) * s + _A[3]) * s + _A[4]) * s + _A[5]
        den = ((((_B[0] * s + _B[1]) * s + _B[2]) * s + _B[3]) * s + _B[4]) * s + 1.0
        z[mid] = -(num * r / den)
    for sel, tail, sign in ((low, q, 1.0), (high, 1.0 - q, -1.0)):
        if np.any(sel):
            r = np.sqrt(-2.0 * np.log(tail[sel]))
            num = ((((_C[0] * r + _C[1]) * r + _C[2]) * r + _C[3]) * r + _C[4]) * r + _C[5]
            den = (((_D[0] * r + _D[1]) * r + _D[2]) * r + _D[3]) * r + 1.0
            z[sel] = -sign * num / den
    return z


def norm_isf(q: npt.ArrayLike) -> FloatArray:
    """Inverse upper tail: ``z`` with ``1 - Phi(z) = q``; ``q = 0`` gives +inf, 1 gives -inf.

    Notes
    -----
    Acklam's approximation (relative error < 1.2e-9) followed by one Halley step on
    ``f(z) = sf(z) - q``: with ``u = f / phi(z)``, ``z <- z + u / (1 - z u / 2)``. The
    step is taken on the side of the smaller tail, so both tails keep full precision.
    """
    qq = np.atleast_1d(np.asarray(q, dtype=np.float64)).astype(np.float64, copy=True)
    out = np.empty_like(qq)
    out[qq <= 0.0] = np.inf
    out[qq >= 1.0] = -np.inf
    inner = (qq > 0.0) & (qq < 1.0)
    if np.any(inner):
        qi = qq[inner]
        z = _acklam_upper(qi)
        # refine on the smaller tail: f(z) = sf(z) - q for z >= 0, (1 - q) - sf(-z) below
        # (the same Halley step, since d/dz sf(-z) = -d/dz sf(z))
        upper = z >= 0.0
        tail = np.where(upper, norm_sf(z) - qi, (1.0 - qi) - norm_sf(-z))
        u = tail / norm_pdf(z)
        z = z + u / (1.0 - z * u / 2.0)
        out[inner] = z
    return out.reshape(np.shape(q)) if np.ndim(q) else out


def norm_isf_log(log_q: npt.ArrayLike) -> FloatArray:
    """``norm_isf(exp(log_q))`` for upper tails given as logarithms (down to any size).

    Below ``q = 1e-300`` the Mills-ratio expansion
    ``log sf(z) = -z^2/2 - log(z sqrt(2 pi)) + log(1 - 1/z^2 + 3/z^4)`` is inverted by
    Newton's method; above it :func:`norm_isf` is used.
    """
    lq = np.atleast_1d(np.asarray(log_q, dtype=np.float64))
    out = np.empty_like(lq)
    tiny = lq < math.log(1e-300)
    out[~tiny] = norm_isf(np.exp(lq[~tiny]))
    if np.any(tiny):
        target = lq[tiny]
        z = np.sqrt(-2.0 * target)
        for _ in range(8):
            z2 = z * z
            g = -0.5 * z2 - np.log(z) - _LOG_SQRT_2PI + np.log1p(-1.0 / z2 + 3.0 / (z2 * z2)) - target
            dg = -z - 1.0 / z  # derivative of the leading terms; enough for convergence here
            z = z - g / dg
        out[tiny] = z
    return out
