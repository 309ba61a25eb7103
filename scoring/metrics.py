"""Discrimination and stability metrics of a score: AUC, KS, PSI.

Imports nothing else from :mod:`scoring`, so the scorecard's fitting (which chooses its
ridge penalty by AUC) and the validation report can both use it without an import cycle.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["auc", "ks", "psi"]

FloatArray = npt.NDArray[np.float64]


def _average_ranks(x: FloatArray) -> FloatArray:
    """Ranks 1..n with ties given their average rank."""
    order = np.argsort(x, kind="mergesort")
    xs = x[order]
    boundaries = np.flatnonzero(np.diff(xs)) + 1
    starts = np.concatenate([[0], boundaries])
    ends = np.concatenate([boundaries, [xs.size]])
    avg = (starts + ends + 1) / 2.0  # mean of ranks starts+1 .. ends
    ranks = np.empty(xs.size, dtype=np.float64)
    ranks[order] = np.repeat(avg, ends - starts)
    return ranks


def auc(risk: npt.ArrayLike, bad: npt.ArrayLike) -> float:
    """Area under the ROC curve of a risk score (higher = riskier) for ``bad``.

    Notes
    -----
    Mann-Whitney form with average ranks for ties:

    .. math::

        AUC = \\frac{\\sum_{i \\in bad} r_i - n_b (n_b + 1)/2}{n_b\\, n_g}.

    For points (higher = safer) pass ``-points``.
    """
    r = np.asarray(risk, dtype=np.float64).ravel()
    y = np.asarray(bad, dtype=np.float64).ravel() == 1
    nb = int(y.sum())
    ng = int(y.size - nb)
    if nb == 0 or ng == 0:
        raise ValueError("AUC needs both good and bad loans")
    ranks = _average_ranks(r)
    return float((ranks[y].sum() - nb * (nb + 1) / 2.0) / (nb * ng))


def ks(risk: npt.ArrayLike, bad: npt.ArrayLike) -> float:
    """Kolmogorov-Smirnov statistic between the score distributions of bads and goods.

    Notes
    -----
    :math:`KS = \\max_t |F_{bad}(t) - F_{good}(t)|`, evaluated at every distinct
    score (ties handled by cutting only between distinct values).
    """
    r = np.asarray(risk, dtype=np.float64).ravel()
    y = np.asarray(bad, dtype=np.float64).ravel() == 1
    nb, ng = int(y.sum()), int((~y).sum())
    if nb == 0 or ng == 0:
        raise ValueError("KS needs both good and bad loans")
    order = np.argsort(r, kind="mergesort")
    rs, ys = r[order], y[order]
    cb = np.cumsum(ys) / nb
    cg = np.cumsum(~ys) / ng
    last = np.concatenate([np.diff(rs) != 0, [True]])
    return float(np.max(np.abs(cb[last] - cg[last])))



def psi(expected: npt.ArrayLike, actual: npt.ArrayLike, bins: int = 10) -> float:
    """Population stability index of ``actual`` against ``expected``.

    Parameters
    ----------
    expected, actual : array_like of float
        Two samples of scores or points (NaNs are ignored).
    bins : int, default 10
        Bins are cut at the ``expected`` sample's quantiles (deciles by default);
        duplicate cut points (ties) are dropped.

    Returns
    -------
    float
        PSI, 0 for identical distributions, rising with the shift.

    Notes
    -----
    .. math::

        PSI = \\sum_i (a_i - e_i) \\ln\\frac{a_i}{e_i},

    with :math:`e_i, a_i` the shares of each sample in bin *i*, floored at
    1e-6 so an empty bin gives a large finite term.  Rules of thumb: < 0.1
    stable, 0.1-0.25 watch, > 0.25 shifted.
    """
    e = np.asarray(expected, dtype=np.float64).ravel()
    a = np.asarray(actual, dtype=np.float64).ravel()
    e, a = e[~np.isnan(e)], a[~np.isnan(a)]
    if e.size == 0 or a.size == 0:
        raise ValueError("psi needs two non-empty samples")
    cuts = np.unique(np.quantile(e, np.linspace(0, 1, bins + 1)[1:-1]))
    k = cuts.size + 1
    pe = np.bincount(np.searchsorted(cuts, e, side="right"), minlength=k) / e.size
    pa = np.bincount(np.searchsorted(cuts, a, side="right"), minlength=k) / a.size
    pe = np.maximum(pe, 1e-6)
    pa = np.maximum(pa, 1e-6)
    return float(max(np.sum((pa - pe) * np.log(pa / pe)), 0.0))
