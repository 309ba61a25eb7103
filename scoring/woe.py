"""Weight of evidence (WoE) and information value (IV) of a set of bins."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]

#: Pseudo-count added to the goods and bads of every bin before taking logs, so
#: that a bin without goods or without bads still has a finite WoE.
SMOOTHING = 0.5

#: Significant digits an artefact keeps of a fitted statistic (WoE, IV, a coefficient).
STORED_DIGITS = 10


def stored(x: float) -> float:
    """A fitted statistic as a card's JSON keeps it: rounded to :data:`STORED_DIGITS`.

    Logs and least squares may differ in the last binary place between CPUs, BLAS
    builds and SIMD paths, so the full repr would make a refit's file depend on the
    machine.  Ten digits are far more than any use of these numbers needs (scoring
    reads only the cuts and the points, which are stored exactly), and a refit's
    value lands on another rounding only if it lies within one unit in the last
    place of a rounding boundary (odds of about 1e-6 per number).
    """
    return float(f"{x:.{STORED_DIGITS}g}")


def woe_iv(
    goods: npt.ArrayLike, bads: npt.ArrayLike, smoothing: float = SMOOTHING
) -> tuple[FloatArray, float]:
    """Weight of evidence of each bin and the information value of the set.

    Parameters
    ----------
    goods, bads : array_like
        Number of good and bad loans in each bin (same length ``k``).
    smoothing : float, default 0.5
        Pseudo-count ``a`` added to every bin's goods and bads.

    Returns
    -------
    woe : ndarray of float64, shape (k,)
        WoE per bin; positive means fewer bads than average (safer).
    iv : float
        Information value of the binning.

    Notes
    -----
    With ``G = sum(g) + a k`` and ``B = sum(b) + a k``:

    .. math::

        \\mathrm{WoE}_i = \\ln\\frac{(g_i + a)/G}{(b_i + a)/B}, \\qquad
        \\mathrm{IV} = \\sum_i \\left(\\frac{g_i + a}{G} - \\frac{b_i + a}{B}\\right)
        \\mathrm{WoE}_i .

    The convention (good over bad) makes WoE rise as risk falls; IV is
    non-negative and is 0 for a single bin.
    """
    g = np.asarray(goods, dtype=np.float64) + smoothing
    b = np.asarray(bads, dtype=np.float64) + smoothing
    if g.size == 0:
        return np.zeros(0, dtype=np.float64), 0.0
    pg = g / g.sum()
    pb = b / b.sum()
    woe = np.log(pg / pb)
    iv = float(np.sum((pg - pb) * woe))
    return woe, max(iv, 0.0)


def pair_iv_loss(
    goods: FloatArray, bads: FloatArray, i: int, total_good: float, total_bad: float
) -> float:
    """IV lost by merging adjacent bins ``i`` and ``i + 1`` (unsmoothed terms).

    Notes
    -----
    Uses the per-bin IV term :math:`(p^g - p^b)\\ln(p^g/p^b)` with a small
    floor, so it only ranks candidate merges; it is not the reported IV.
    """
    eps = 0.5

    def term(g: float, b: float) -> float:
        pg = (g + eps) / (total_good + eps)
        pb = (b + eps) / (total_bad + eps)
        return float((pg - pb) * np.log(pg / pb))

    before = term(goods[i], bads[i]) + term(goods[i + 1], bads[i + 1])
    after = term(goods[i] + goods[i + 1], bads[i] + bads[i + 1])
    return before - after
