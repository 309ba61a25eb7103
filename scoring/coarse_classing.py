"""Coarse-classing algorithms on fine classes (counts and bads per ordered class).

Pool-adjacent-violators for a monotone bad rate, the greedy merges under the share and
bin-count rules, the IV-optimal partition into contiguous bins by dynamic programming
(:func:`optimal_blocks`) and CART-style cuts on the target (:func:`tree_cuts`).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from scoring.woe import SMOOTHING, FloatArray, IntArray, pair_iv_loss, woe_iv

__all__ = ["Groups", "optimal_blocks", "pav", "tree_cuts"]


def pav(counts: FloatArray, bads: FloatArray, increasing: bool) -> list[tuple[int, int]]:
    """Pool adjacent violators: blocks ``[start, end)`` with strictly monotone bad rate."""
    stack: list[list[float]] = []  # [start, end, n, bad]
    for i in range(counts.size):
        stack.append([i, i + 1, float(counts[i]), float(bads[i])])
        while len(stack) >= 2:
            a, b = stack[-2], stack[-1]
            ra, rb = a[3] / a[2], b[3] / b[2]
            violates = ra >= rb if increasing else ra <= rb
            if not violates:
                break
            stack[-2] = [a[0], b[1], a[2] + b[2], a[3] + b[3]]
            stack.pop()
    return [(int(s[0]), int(s[1])) for s in stack]


class Groups:
    """Ordered sequence of adjacent groups of fine classes, with merge operations."""

    def __init__(self, counts: FloatArray, bads: FloatArray) -> None:
        self.members: list[list[int]] = [[i] for i in range(counts.size)]
        self.n = counts.astype(np.float64).copy()
        self.b = bads.astype(np.float64).copy()

    def merge(self, i: int) -> None:
        """Merge group ``i`` with group ``i + 1``."""
        self.members[i] = self.members[i] + self.members[i + 1]
        del self.members[i + 1]
        self.n = np.concatenate([self.n[:i], [self.n[i] + self.n[i + 1]], self.n[i + 2 :]])
        self.b = np.concatenate([self.b[:i], [self.b[i] + self.b[i + 1]], self.b[i + 2 :]])

    def apply_blocks(self, blocks: list[tuple[int, int]]) -> None:
        for start, end in reversed(blocks):
            for _ in range(end - start - 1):
                self.merge(start)

    def enforce_min_count(self, min_count: float) -> None:
        """Merge the smallest group into its neighbour of closest bad rate."""
        while len(self.members) > 1:
            i = int(np.argmin(self.n))
            if self.n[i] >= min_count:
                return
            rate = self.b / self.n
            if i == 0:
                self.merge(0)
            elif i == len(self.members) - 1:
                self.merge(i - 1)
            elif abs(rate[i] - rate[i - 1]) <= abs(rate[i + 1] - rate[i]):
                self.merge(i - 1)
            else:
                self.merge(i)

    def enforce_max_groups(self, max_groups: int) -> None:
        """Merge the adjacent pair whose merge loses the least IV."""
        total_bad = float(self.b.sum())
        total_good = float(self.n.sum()) - total_bad
        while len(self.members) > max(max_groups, 1):
            goods = self.n - self.b
            losses = [
                pair_iv_loss(goods, self.b, i, total_good, total_bad)
                for i in range(len(self.members) - 1)
            ]
            self.merge(int(np.argmin(losses)))

    def iv(self) -> float:
        return woe_iv(self.n - self.b, self.b)[1]


#: Fine classes up to which :func:`optimal_blocks` evaluates a DP layer as one
#: ``(m+1)^3`` array; above it, one start at a time (same result, less memory).
_DENSE_LIMIT = 64


def _layer_best(
    f_prev: FloatArray, comp: npt.NDArray[np.bool_] | None, rate: FloatArray, direction: int, dense: bool
) -> tuple[FloatArray, IntArray]:
    """One DP step: for every bin ``[i, j)``, the best value of a prefix ending in a
    bin ``[h, i)`` allowed to precede it, and that ``h``.

    ``f_prev[h, i]`` is the best value of ``[0, i)`` whose last bin is ``[h, i)``
    (``-inf`` if infeasible).  ``direction`` +1 / -1 requires the bad rate of
    ``[h, i)`` to be strictly below / above that of ``[i, j)``; 0 allows any.
    """
    size = f_prev.shape[0]
    if direction == 0:
        arg_i = np.argmax(f_prev, axis=0)
        best_i = f_prev[arg_i, np.arange(size)]
        return (np.repeat(best_i[:, None], size, axis=1),
                np.repeat(arg_i[:, None], size, axis=1).astype(np.intp))
    if dense:
        assert comp is not None
        cand = np.where(comp, f_prev[:, :, None], -np.inf)
        arg = np.argmax(cand, axis=0).astype(np.intp)
        return np.take_along_axis(cand, arg[None], axis=0)[0], arg
    best = np.full((size, size), -np.inf)
    arg = np.zeros((size, size), dtype=np.intp)
    sign = 1.0 if direction > 0 else -1.0
    for i in range(1, size - 1):
        vals = f_prev[:i, i]
        ok = np.isfinite(vals)
        if not ok.any():
            continue
        hs = np.flatnonzero(ok)
        keys = sign * rate[hs, i]
        order = np.argsort(keys, kind="stable")
        sk, sv, sh = keys[order], vals[hs][order], hs[order]
        run = np.maximum.accumulate(sv)
        new = sv > np.concatenate([[-np.inf], run[:-1]])
        run_h = sh[np.maximum.accumulate(np.where(new, np.arange(sv.size), 0))]
        thr = sign * rate[i, i + 1 :]
        # predecessors with key < threshold: the first `pos` of the sorted keys
        pos = np.searchsorted(sk, thr, side="left")
        hit = (pos > 0) & ~np.isnan(thr)
        p = np.maximum(pos - 1, 0)
        best[i, i + 1 :] = np.where(hit, run[p], -np.inf)
        arg[i, i + 1 :] = np.where(hit, run_h[p], 0)
    return best, arg


def optimal_blocks(
    counts: npt.ArrayLike,
    bads: npt.ArrayLike,
    *,
    min_count: float,
    max_bins: int,
    direction: int,
    n_missing: float = 0.0,
    bad_missing: float = 0.0,
    smoothing: float = SMOOTHING,
    dense_limit: int = _DENSE_LIMIT,
) -> tuple[list[tuple[int, int]], float]:
    """Partition of ordered fine classes into contiguous bins with the largest IV.

    Parameters
    ----------
    counts, bads : array_like, shape (m,)
        Loans and bad loans of each fine class, in order (all counts > 0).
    min_count : float
        Each bin must hold at least this many loans (a single bin is always
        allowed, as with the greedy method).
    max_bins : int
        At most this many bins (at least 1).
    direction : {1, -1, 0}
        1: bad rate strictly increasing from bin to bin; -1: strictly
        decreasing; 0: no constraint.
    n_missing, bad_missing : float, default 0
        Loans and bads of the separate missing bin (0 = no missing bin).  It
        enters the IV but is never merged.
    smoothing : float, default :data:`scoring.woe.SMOOTHING`
        Pseudo-count of :func:`scoring.woe.woe_iv`.

    Returns
    -------
    blocks : list of (start, end)
        Bins as half-open ranges of fine-class indices, in order.
    iv : float
        IV of the result as :func:`scoring.woe.woe_iv` defines it on the value
        bins plus the missing bin -- the IV the fitted binning reports.

    Notes
    -----
    With :math:`K` bins in all (missing included) and totals
    :math:`G = \\sum g + aK`, :math:`B = \\sum b + aK`, the smoothed IV is the sum
    of per-bin terms :math:`(p^g_i - p^b_i)\\ln(p^g_i / p^b_i)` with
    :math:`p^g_i = (g_i + a)/G`; for a fixed :math:`K` it is additive over bins.
    So for each number of value bins :math:`k \\le` ``max_bins`` a DP over
    "prefix ``[0, j)`` ending in bin ``[i, j)``" with :math:`k` layers finds the
    best partition exactly; the monotone constraint only involves adjacent bins,
    which is why the state keeps the last bin.  The best :math:`k` wins, ties
    to fewer bins.  Time :math:`O(\\text{max\\_bins}^2 m^3)` array work (one
    ``(m+1)^3`` comparison per layer), trivial for the 20 fine classes used here.
    """
    cnt = np.asarray(counts, dtype=np.float64).ravel()
    bd = np.asarray(bads, dtype=np.float64).ravel()
    m = cnt.size
    if m == 0:
        return [], 0.0
    if direction not in (-1, 0, 1):
        raise ValueError(f"direction must be 1, -1 or 0, not {direction!r}")
    a = float(smoothing)
    size = m + 1
    cn = np.concatenate([[0.0], np.cumsum(cnt)])
    cb = np.concatenate([[0.0], np.cumsum(bd)])
    n = cn[None, :] - cn[:, None]  # n[i, j]: loans of bin [i, j)
    b = cb[None, :] - cb[:, None]
    upper = np.triu(np.ones((size, size), dtype=bool), 1)
    valid = upper & (n >= min_count) & (n > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(valid, b / np.where(n > 0, n, 1.0), np.nan)
    g = np.where(upper, n - b, 0.0)
    bb = np.where(upper, b, 0.0)
    has_missing = n_missing > 0
    total_good = float(cn[-1] - cb[-1]) + (n_missing - bad_missing)
    total_bad = float(cb[-1]) + bad_missing
    dense = m <= dense_limit
    comp: npt.NDArray[np.bool_] | None = None
    if dense and direction != 0:
        with np.errstate(invalid="ignore"):
            comp = (
                rate[:, :, None] < rate[None, :, :] if direction > 0 else rate[:, :, None] > rate[None, :, :]
            )

    def term(gg: FloatArray | float, bv: FloatArray | float, k_all: int) -> FloatArray:
        pg = (np.asarray(gg) + a) / (total_good + a * k_all)
        pb = (np.asarray(bv) + a) / (total_bad + a * k_all)
        return np.asarray((pg - pb) * np.log(pg / pb), dtype=np.float64)

    best_iv, best_blocks = -np.inf, [(0, m)]
    k_max = max(1, min(int(max_bins), m))
    for k in range(1, k_max + 1):
        k_all = k + (1 if has_missing else 0)
        if k_all == 1:
            iv_k, blocks_k = 0.0, [(0, m)]
        else:
            extra = float(term(n_missing - bad_missing, bad_missing, k_all)) if has_missing else 0.0
            if k == 1:
                iv_k, blocks_k = float(term(g[0, m], bb[0, m], k_all)) + extra, [(0, m)]
            else:
                with np.errstate(divide="ignore", invalid="ignore"):
                    t = np.where(valid, term(g, bb, k_all), -np.inf)
                f = np.full((size, size), -np.inf)
                f[0, :] = t[0, :]
                args: list[IntArray] = []
                for _ in range(2, k + 1):
                    best, arg = _layer_best(f, comp, rate, direction, dense)
                    f = t + best
                    args.append(arg)
                h = int(np.argmax(f[:, m]))
                if not np.isfinite(f[h, m]):
                    continue
                iv_k = float(f[h, m]) + extra
                blocks_k = [(h, m)]
                j = m
                for arg in reversed(args):
                    h, j = int(arg[h, j]), h
                    blocks_k.append((h, j))
                blocks_k.reverse()
        if iv_k > best_iv + 1e-12:
            best_iv, best_blocks = iv_k, blocks_k
    return best_blocks, max(float(best_iv), 0.0)


def tree_cuts(
    values: npt.ArrayLike, bad: npt.ArrayLike, *, max_leaves: int, min_leaf: int
) -> FloatArray:
    """Cut points of a best-first CART classification tree on one variable.

    Parameters
    ----------
    values : array_like of float
        Non-missing values.
    bad : array_like of {0, 1}
        Target.
    max_leaves : int
        At most this many leaves (fine classes).
    min_leaf : int
        Loans per leaf at least.

    Returns
    -------
    ndarray of float64
        Increasing cuts, each the midpoint between two adjacent observed values
        (the convention of the quantile fine classing).

    Notes
    -----
    The pre-binning of optbinning (``prebinning_method="cart"``:
    scikit-learn's ``DecisionTreeClassifier(min_samples_leaf=min_leaf,
    max_leaf_nodes=max_leaves)``), in numpy: the leaf whose best split lowers
    the size-weighted Gini impurity :math:`n\\cdot 2p(1-p)` most is split next;
    only impure leaves are split, and only where ``min_leaf`` loans remain on
    each side (a split that leaves the impurity unchanged is allowed, as in
    scikit-learn).  Ties go to the smaller cut.  (optbinning also merges
    prebins without goods or without bads; here the WoE pseudo-count handles
    such bins.)
    """
    x = np.asarray(values, dtype=np.float64).ravel()
    y = np.asarray(bad, dtype=np.float64).ravel()
    uniq, inv = np.unique(x, return_inverse=True)
    if uniq.size < 2 or max_leaves < 2:
        return np.zeros(0)
    cn = np.concatenate([[0.0], np.cumsum(np.bincount(inv, minlength=uniq.size))])
    cb = np.concatenate([[0.0], np.cumsum(np.bincount(inv, weights=y, minlength=uniq.size))])
    lim = max(int(min_leaf), 1)

    def impurity(nn: FloatArray | float, bv: FloatArray | float) -> FloatArray:
        nn_a = np.asarray(nn, dtype=np.float64)
        p = np.asarray(bv, dtype=np.float64) / np.where(nn_a > 0, nn_a, 1.0)
        return np.asarray(2.0 * nn_a * p * (1.0 - p), dtype=np.float64)

    def best_split(lo: int, hi: int) -> tuple[float, int]:
        # leaf = unique values [lo, hi); split s: [lo, s) | [s, hi)
        if hi - lo < 2:
            return 0.0, -1
        s = np.arange(lo + 1, hi)
        nl, bl = cn[s] - cn[lo], cb[s] - cb[lo]
        nr, br = cn[hi] - cn[s], cb[hi] - cb[s]
        ok = (nl >= lim) & (nr >= lim)
        if not ok.any():
            return 0.0, -1
        parent = float(impurity(cn[hi] - cn[lo], cb[hi] - cb[lo]))
        if parent <= 1e-12:  # pure leaf
            return 0.0, -1
        gain = np.where(ok, parent - impurity(nl, bl) - impurity(nr, br), -np.inf)
        i = int(np.argmax(gain))
        return float(gain[i]), int(s[i])

    leaves = [(0, uniq.size, *best_split(0, uniq.size))]
    cuts: list[int] = []
    while len(leaves) < max_leaves:
        i = max(range(len(leaves)), key=lambda t: (leaves[t][3] >= 0, leaves[t][2], -leaves[t][0]))
        lo, hi, _, s = leaves[i]
        if s < 0:
            break
        cuts.append(s)
        leaves[i : i + 1] = [(lo, s, *best_split(lo, s)), (s, hi, *best_split(s, hi))]
    pos = np.asarray(sorted(cuts), dtype=np.intp)
    return np.asarray((uniq[pos - 1] + uniq[pos]) / 2.0, dtype=np.float64)
