"""Fitting a :class:`scoring.binning.Binning` to one numeric or categorical characteristic.

See :mod:`scoring.binning` for the rules; the algorithms are in :mod:`scoring.coarse_classing`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from scoring.binning import (
    METHODS,
    PREBINNINGS,
    Binning,
    Kind,
    Method,
    Prebinning,
    as_float,
    as_str,
)
from scoring.coarse_classing import Groups, optimal_blocks, pav, tree_cuts
from scoring.woe import FloatArray, woe_iv

__all__ = ["fit_categorical_binning", "fit_numeric_binning"]


def _fmt(v: float) -> str:
    return f"{v:.6g}"


def _block_totals(
    counts: FloatArray, bads: FloatArray, blocks: Sequence[tuple[int, int]]
) -> tuple[list[int], list[int]]:
    """Loans and bads of each bin, a bin being the fine classes ``[start, end)``."""
    return (
        [round(float(counts[s:e].sum())) for s, e in blocks],
        [round(float(bads[s:e].sum())) for s, e in blocks],
    )


def _finish(
    name: str,
    kind: Kind,
    cuts: Sequence[float],
    levels: dict[str, int],
    labels: list[str],
    counts: list[int],
    bads: list[int],
    n_missing: int,
    bad_missing: int,
    trend: str,
) -> Binning:
    missing_bin: int | None = None
    if n_missing > 0:
        missing_bin = len(labels)
        labels = [*labels, "missing"]
        counts = [*counts, n_missing]
        bads = [*bads, bad_missing]
    c = np.asarray(counts, dtype=np.float64)
    b = np.asarray(bads, dtype=np.float64)
    woe, iv = woe_iv(c - b, b)
    if len(labels) <= 1:
        woe, iv = np.zeros(len(labels)), 0.0
    return Binning(
        name=name,
        kind=kind,
        cuts=tuple(float(x) for x in cuts),
        levels=levels,
        labels=tuple(labels),
        missing_bin=missing_bin,
        counts=tuple(int(x) for x in counts),
        bads=tuple(int(x) for x in bads),
        woe=tuple(float(w) for w in woe),
        iv=iv,
        trend=trend,
    )


def fit_numeric_binning(
    name: str,
    values: npt.ArrayLike,
    bad: npt.ArrayLike,
    *,
    min_bin_share: float = 0.05,
    max_bins: int = 6,
    fine_bins: int = 20,
    monotonic: bool = True,
    method: Method = "greedy",
    prebinning: Prebinning = "quantile",
) -> Binning:
    """Bin a numeric characteristic by weight of evidence.

    Parameters
    ----------
    name : str
        Characteristic name.
    values : array_like of float
        Values; NaN is missing.
    bad : array_like of {0, 1}
        1 for a bad loan.
    min_bin_share : float, default 0.05
        Minimum share of the whole sample in each value bin.
    max_bins : int, default 6
        Maximum number of value bins (the missing bin is extra).
    fine_bins : int, default 20
        Number of quantiles for the fine classing.
    monotonic : bool, default True
        Force the bad rate to be strictly monotonic in the value.
    method : {"greedy", "optimal"}, default "greedy"
        Coarse classing: greedy merges (steps 2-3 below) or the partition of
        the fine classes with the largest IV under the same constraints
        (:func:`optimal_blocks`).
    prebinning : {"quantile", "tree"}, default "quantile"
        Fine classing: quantiles (step 1) or a CART-style tree on the target
        with at most ``fine_bins`` leaves of at least ``ceil(min_bin_share * n)``
        loans (:func:`tree_cuts`, the pre-binning of optbinning).

    Returns
    -------
    Binning

    Notes
    -----
    1. Fine classing: candidate cuts are the distinct ``fine_bins``-quantiles
       of the non-missing values (inverted CDF, so observed values), each moved
       to the midpoint between it and the next smaller observed value.
    2. Monotonicity: pool-adjacent-violators on the fine bins' bad rates, once
       increasing and once decreasing; the direction with the larger IV wins.
    3. Bins with fewer than ``ceil(min_bin_share * n)`` loans are merged into
       the neighbour with the closer bad rate; then, while there are more than
       ``max_bins`` bins, the adjacent pair losing least IV is merged.  Merging
       neighbours keeps a monotone sequence monotone.

    With ``method="optimal"`` steps 2-3 are replaced by an exact search: among
    all groupings of the fine classes into at most ``max_bins`` contiguous
    bins of at least ``ceil(min_bin_share * n)`` loans each, with a strictly
    increasing (or decreasing) bad rate, the one with the largest reported IV
    (missing bin included); the direction with the larger IV wins, ties to
    increasing.  The greedy result satisfies the same constraints, so the
    optimal IV is never lower.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, not {method!r}")
    if prebinning not in PREBINNINGS:
        raise ValueError(f"prebinning must be one of {PREBINNINGS}, not {prebinning!r}")
    x = as_float(values)
    y = np.asarray(bad, dtype=np.float64).ravel()
    if x.shape != y.shape:
        raise ValueError(f"{name}: {x.size} values but {y.size} targets")
    missing = np.isnan(x)
    xv, yv = x[~missing], y[~missing]
    min_count = math.ceil(min_bin_share * x.size)
    n_missing, bad_missing = int(missing.sum()), round(float(y[missing].sum()))
    if xv.size == 0:
        return _finish(name, "numeric", [], {}, [], [], [], n_missing, bad_missing, "none")
    uniq = np.unique(xv)
    if uniq.size == 1:
        cuts_fine = np.zeros(0)
    elif prebinning == "tree":
        cuts_fine = tree_cuts(xv, yv, max_leaves=fine_bins, min_leaf=min_count)
    else:
        probs = np.linspace(0.0, 1.0, fine_bins + 1)[1:-1]
        cand = np.unique(np.quantile(xv, probs, method="inverted_cdf"))
        cand = cand[cand > uniq[0]]
        pos = np.searchsorted(uniq, cand)
        cuts_fine = (uniq[pos - 1] + uniq[pos]) / 2.0
    idx = np.searchsorted(cuts_fine, xv, side="right")
    k = cuts_fine.size + 1
    counts = np.bincount(idx, minlength=k).astype(np.float64)
    bads = np.asarray(np.bincount(idx, weights=yv, minlength=k), dtype=np.float64)

    blocks: list[tuple[int, int]] = []
    trend = "none"
    if method == "optimal":
        best_iv = -math.inf
        for direction in (1, -1) if monotonic else (0,):
            found, iv = optimal_blocks(
                counts, bads, min_count=min_count, max_bins=max_bins, direction=direction,
                n_missing=n_missing, bad_missing=bad_missing,
            )
            if iv > best_iv + 1e-12:
                best_iv, blocks = iv, found
                trend = {1: "increasing", -1: "decreasing", 0: "none"}[direction]
    else:
        best: Groups | None = None
        for increasing in (True, False) if monotonic else (None,):
            g = Groups(counts, bads)
            if increasing is not None:
                g.apply_blocks(pav(g.n, g.b, increasing))
            g.enforce_min_count(min_count)
            g.enforce_max_groups(max_bins)
            if best is None or g.iv() > best.iv() + 1e-12:
                best = g
                trend = "none" if increasing is None else ("increasing" if increasing else "decreasing")
        assert best is not None
        blocks = [(mem[0], mem[-1] + 1) for mem in best.members]
    cut_list = [float(cuts_fine[end - 1]) for _, end in blocks[:-1]]
    if len(blocks) == 1:
        trend = "none"
    edges = [-math.inf, *cut_list, math.inf]
    labels = [f"[{_fmt(edges[i])}, {_fmt(edges[i + 1])})" for i in range(len(edges) - 1)]
    return _finish(
        name,
        "numeric",
        cut_list,
        {},
        labels,
        *_block_totals(counts, bads, blocks),
        n_missing,
        bad_missing,
        trend,
    )


def fit_categorical_binning(
    name: str,
    values: npt.ArrayLike,
    bad: npt.ArrayLike,
    *,
    min_bin_share: float = 0.05,
    max_bins: int = 6,
    order: Sequence[str] | None = None,
    method: Method = "greedy",
) -> Binning:
    """Group the levels of a categorical characteristic by weight of evidence.

    Parameters
    ----------
    name : str
        Characteristic name.
    values : array_like of str
        Levels; ``None`` and ``""`` are missing.
    bad : array_like of {0, 1}
        1 for a bad loan.
    min_bin_share, max_bins : see :func:`fit_numeric_binning`.
    order : sequence of str, optional
        Business order of the levels from best to worst.  When given, the bad
        rate is forced to rise along it (pool-adjacent-violators) instead of
        sorting the levels by their observed bad rate.  Levels seen in the data
        but absent from ``order`` raise ``ValueError``.
    method : {"greedy", "optimal"}, default "greedy"
        Grouping of the ordered levels: greedy merges, or the grouping with the
        largest IV (:func:`optimal_blocks`).

    Returns
    -------
    Binning

    Notes
    -----
    Greedy: levels are sorted by smoothed bad rate :math:`(b + 0.5)/(n + 1)` (or
    taken in ``order``), so adjacent groups are the ones with the closest WoE;
    groups are then merged by the same min-share and max-bins rules as numeric
    bins.

    Optimal: levels are sorted by observed bad rate (ties by smoothed rate, then
    name), as optbinning does, or taken in ``order``; the grouping into at most
    ``max_bins`` contiguous groups of at least ``ceil(min_bin_share * n)``
    loans with a strictly rising bad rate and the largest IV is chosen.  In
    the bad-rate order every contiguous grouping rises (strictly unless two
    groups tie), so this is the IV-optimal grouping of the sorted levels; with
    ``order`` it is the optimal grouping consistent with the business order.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, not {method!r}")
    s = as_str(values)
    y = np.asarray(bad, dtype=np.float64).ravel()
    if s.shape != y.shape:
        raise ValueError(f"{name}: {s.size} values but {y.size} targets")
    missing = s == ""
    min_count = math.ceil(min_bin_share * s.size)
    n_missing, bad_missing = int(missing.sum()), round(float(y[missing].sum()))
    lev, inv = np.unique(s[~missing], return_inverse=True)
    if lev.size == 0:
        return _finish(name, "categorical", [], {}, [], [], [], n_missing, bad_missing, "none")
    counts = np.bincount(inv, minlength=lev.size).astype(np.float64)
    bads = np.asarray(np.bincount(inv, weights=y[~missing], minlength=lev.size), dtype=np.float64)
    if order is not None:
        rank = {str(v): i for i, v in enumerate(order)}
        unknown = [str(v) for v in lev if str(v) not in rank]
        if unknown:
            raise ValueError(f"{name}: levels {unknown} not in the given order")
        perm = np.argsort([rank[str(v)] for v in lev], kind="stable")
    elif method == "optimal":
        # observed bad rate, ties by smoothed rate; lexsort is stable (name order)
        perm = np.lexsort(((bads + 0.5) / (counts + 1.0), bads / counts))
    else:
        perm = np.argsort((bads + 0.5) / (counts + 1.0), kind="stable")
    lev, counts, bads = lev[perm], counts[perm], bads[perm]
    if method == "optimal":
        blocks, _ = optimal_blocks(
            counts, bads, min_count=min_count, max_bins=max_bins, direction=1,
            n_missing=n_missing, bad_missing=bad_missing,
        )
    else:
        g = Groups(counts, bads)
        if order is not None:
            g.apply_blocks(pav(g.n, g.b, increasing=True))
        g.enforce_min_count(min_count)
        g.enforce_max_groups(max_bins)
        blocks = [(mem[0], mem[-1] + 1) for mem in g.members]
    levels: dict[str, int] = {}
    labels: list[str] = []
    for b_i, (start, end) in enumerate(blocks):
        names = [str(lev[m]) for m in range(start, end)]
        for nm in names:
            levels[nm] = b_i
        labels.append(" | ".join(names))
    trend = "ordered" if len(blocks) > 1 else "none"
    return _finish(
        name,
        "categorical",
        [],
        levels,
        labels,
        *_block_totals(counts, bads, blocks),
        n_missing,
        bad_missing,
        trend,
    )
