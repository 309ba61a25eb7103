"""Supervised coarse classing (binning) of one characteristic by weight of evidence.

A numeric characteristic is fine-classed at quantiles, then merged so that its bad
rate is monotonic in the value (pool-adjacent-violators, direction chosen by IV),
every bin holds at least ``min_bin_share`` of the sample and there are at most
``max_bins`` value bins.  A categorical characteristic's levels are ordered by bad
rate (or by a business order given by the caller, enforced with
pool-adjacent-violators) and merged under the same share / count rules.  Missing
values (NaN; ``None`` or ``""``) always get a bin of their own when the training
sample has any.

Two coarse-classing methods share those constraints: ``"greedy"`` (PAV, then
merges of the smallest bins and of the adjacent pair losing least IV) and
``"optimal"`` (:func:`optimal_blocks`: the partition of the fine classes into
contiguous bins that maximises the reported IV exactly, by dynamic programming).
Numeric fine classes come from quantiles (``prebinning="quantile"``) or from a
CART-style tree on the target (``prebinning="tree"``, :func:`tree_cuts`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from scoring.woe import SMOOTHING, FloatArray, pair_iv_loss, stored, woe_iv

IntArray = npt.NDArray[np.intp]
Kind = Literal["numeric", "categorical"]
#: Coarse-classing method: greedy merges, or the IV-optimal partition (DP).
Method = Literal["greedy", "optimal"]
#: Numeric fine classing: quantiles of the values, or a CART-style tree on the target.
Prebinning = Literal["quantile", "tree"]
METHODS: tuple[str, ...] = ("greedy", "optimal")
PREBINNINGS: tuple[str, ...] = ("quantile", "tree")

#: Bin index returned by :meth:`Binning.bin_index` for a value the binning has no
#: bin for (an unseen category, or a missing value when training had none).
UNSEEN = -1


@dataclass(frozen=True)
class Binning:
    """Coarse classes of one characteristic.

    Value bins come first (``0 .. n_value_bins - 1``), then the missing bin if the
    training data had missing values.

    Attributes
    ----------
    name : str
        Characteristic name (the column key).
    kind : {"numeric", "categorical"}
        How values are mapped to bins.
    cuts : tuple of float
        Numeric only: increasing cut points; value bin ``i`` is
        ``[cuts[i-1], cuts[i])`` with open ends at -inf / +inf.
    levels : dict of str to int
        Categorical only: level -> value bin.
    labels : tuple of str
        Human-readable label per bin.
    missing_bin : int or None
        Index of the missing bin, or None if training had no missing values.
    counts, bads : tuple of int
        Training loans and bad loans per bin.
    woe : tuple of float
        Weight of evidence per bin (see :func:`scoring.woe.woe_iv`).
    iv : float
        Information value.
    trend : str
        ``"increasing"`` / ``"decreasing"`` (bad rate along the value, numeric),
        ``"ordered"`` (categorical, bins sorted by bad rate or business order) or
        ``"none"`` (a single value bin).
    """

    name: str
    kind: Kind
    cuts: tuple[float, ...]
    levels: dict[str, int]
    labels: tuple[str, ...]
    missing_bin: int | None
    counts: tuple[int, ...]
    bads: tuple[int, ...]
    woe: tuple[float, ...]
    iv: float
    trend: str

    @property
    def n_bins(self) -> int:
        """Number of bins, the missing bin included."""
        return len(self.labels)

    @property
    def n_value_bins(self) -> int:
        """Number of bins for non-missing values."""
        return self.n_bins - (0 if self.missing_bin is None else 1)

    def bin_index(self, values: npt.ArrayLike) -> IntArray:
        """Bin of each value; :data:`UNSEEN` where the binning has no bin for it.

        Numeric values out of the training range fall in the open end bins;
        NaN goes to the missing bin.  For categoricals, ``None`` and ``""`` are
        missing and any level not seen in training is :data:`UNSEEN`.
        """
        miss_bin = UNSEEN if self.missing_bin is None else self.missing_bin
        if self.kind == "numeric":
            x = as_float(values)
            idx = np.searchsorted(np.asarray(self.cuts, dtype=np.float64), x, side="right")
            if self.n_value_bins == 0:
                idx = np.full(x.shape, UNSEEN, dtype=np.intp)
            missing = np.isnan(x)
            if missing.any():
                idx[missing] = miss_bin
            return idx.astype(np.intp, copy=False)
        s = np.ascontiguousarray(as_str(values))
        # one lookup table per data dtype (the width of the unicode values),
        # built once and cached on the instance
        cache: dict[str, _CategoricalLookup] = self.__dict__.setdefault("_lookup_cache", {})
        lookup = cache.get(s.dtype.str)
        if lookup is None:
            lookup = cache[s.dtype.str] = _CategoricalLookup.build(self.levels, miss_bin, s.dtype)
        return lookup.bin_index(s)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: cuts exact (``json``'s repr), WoE and IV as :func:`stored`."""
        return {
            "name": self.name,
            "kind": self.kind,
            "cuts": list(self.cuts),
            "levels": dict(self.levels),
            "labels": list(self.labels),
            "missing_bin": self.missing_bin,
            "counts": list(self.counts),
            "bads": list(self.bads),
            "woe": [stored(w) for w in self.woe],
            "iv": stored(self.iv),
            "trend": self.trend,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Binning:
        """Inverse of :meth:`to_dict`."""
        kind = d["kind"]
        if kind not in ("numeric", "categorical"):
            raise ValueError(f"unknown characteristic kind {kind!r}")
        mb = d["missing_bin"]
        return cls(
            name=str(d["name"]),
            kind=kind,
            cuts=tuple(float(c) for c in d["cuts"]),
            levels={str(k): int(v) for k, v in d["levels"].items()},
            labels=tuple(str(s) for s in d["labels"]),
            missing_bin=None if mb is None else int(mb),
            counts=tuple(int(c) for c in d["counts"]),
            bads=tuple(int(c) for c in d["bads"]),
            woe=tuple(float(w) for w in d["woe"]),
            iv=float(d["iv"]),
            trend=str(d["trend"]),
        )


#: Rows per block in :meth:`_CategoricalLookup.bin_index` (keeps temporaries in cache).
_LOOKUP_BLOCK = 1 << 13


@dataclass(frozen=True)
class _CategoricalLookup:
    """Exact level -> bin lookup for fixed-width unicode values of one width.

    A string lookup by binary search costs about ``log2(k)`` full string
    comparisons per value; with long labels that dominates scoring.  Here one
    or two character positions that tell the ``k`` keys apart are found once;
    each value's candidate key comes from those characters alone (an integer
    binary search), and a single string comparison with the candidate confirms
    it, so an unseen value (or one that only shares those characters with a
    key) still gets :data:`UNSEEN`.  The result equals the plain dictionary
    lookup exactly.  When no two positions separate the keys, the lookup falls
    back to a binary search over the sorted keys.

    Attributes
    ----------
    table : ndarray of str
        The keys (levels and ``""`` for missing) that fit the data's width, in
        the data's dtype, sorted.
    target : ndarray of intp
        Bin of each key (:data:`UNSEEN` for ``""`` when there is no missing bin).
    positions : tuple of int
        Character positions used for the candidate; ``()`` = binary search.
    probe : ndarray of uint64
        Sorted candidate codes of the keys.
    order : ndarray of intp
        Row of :attr:`table` for each entry of :attr:`probe`.
    """

    table: npt.NDArray[np.str_]
    target: IntArray
    positions: tuple[int, ...]
    probe: npt.NDArray[np.uint64]
    order: IntArray

    @staticmethod
    def _codes(chars: npt.NDArray[np.uint32], positions: Sequence[int]) -> npt.NDArray[np.uint64]:
        key = chars[:, positions[0]].astype(np.uint64)
        for p in positions[1:]:
            key = (key << np.uint64(32)) | chars[:, p].astype(np.uint64)
        return key

    @classmethod
    def build(cls, levels: dict[str, int], miss_bin: int, dtype: np.dtype[Any]) -> _CategoricalLookup:
        width = dtype.itemsize // 4
        # a key longer than the data's width can never match a value
        keys = sorted(k for k in {**levels, "": miss_bin} if len(k) <= width)
        table = np.asarray(keys, dtype=dtype)
        target = np.asarray([levels.get(k, miss_bin) for k in keys], dtype=np.intp)
        k = table.size
        none = cls(table, target, (), np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.intp))
        if width == 0 or k == 0:
            return none
        chars = np.ascontiguousarray(table).view(np.uint32).reshape(k, width)
        chosen: list[int] = []
        for _ in range(2):
            best, best_n = -1, 0
            for p in range(width):
                if p in chosen:
                    continue
                n_distinct = np.unique(cls._codes(chars, [*chosen, p])).size
                if n_distinct > best_n:
                    best, best_n = p, n_distinct
            chosen.append(best)
            if best_n == k:
                codes = cls._codes(chars, chosen)
                order = np.argsort(codes, kind="stable").astype(np.intp)
                return cls(table, target, tuple(chosen), codes[order], order)
        return none

    def bin_index(self, s: npt.NDArray[np.str_]) -> IntArray:
        """Bin of each value of the C-contiguous 1-D array ``s`` (dtype as built)."""
        n = s.size
        k = self.table.size
        if not self.positions:
            if k == 0:
                return np.full(n, UNSEEN, dtype=np.intp)
            pos = np.minimum(np.searchsorted(self.table, s), k - 1)
            hit = self.table[pos] == s
            return np.where(hit, self.target[pos], UNSEEN).astype(np.intp, copy=False)
        out = np.empty(n, dtype=np.intp)
        if n == 0:
            return out
        chars = s.view(np.uint32).reshape(n, -1)
        for a in range(0, n, _LOOKUP_BLOCK):
            b = min(a + _LOOKUP_BLOCK, n)
            j = np.searchsorted(self.probe, self._codes(chars[a:b], self.positions))
            np.minimum(j, k - 1, out=j)
            row = self.order[j]
            hit = self.table[row] == s[a:b]
            np.copyto(out[a:b], np.where(hit, self.target[row], UNSEEN))
        return out


def is_numeric(values: npt.ArrayLike) -> bool:
    """True if ``values`` is a numeric (or boolean) array, False for str/object."""
    arr = np.asarray(values)
    return arr.dtype.kind in "biuf"


def as_float(values: npt.ArrayLike) -> FloatArray:
    """Values as a float64 array (``None`` becomes NaN)."""
    arr = np.asarray(values)
    if arr.dtype.kind == "O":
        arr = np.array([np.nan if v is None else v for v in arr.ravel()], dtype=np.float64)
    return np.asarray(arr, dtype=np.float64).ravel()


def as_str(values: npt.ArrayLike) -> npt.NDArray[np.str_]:
    """Values as a unicode array; ``None`` (and NaN in object arrays) become ``""``."""
    arr = np.asarray(values)
    if arr.dtype.kind == "U":
        return arr.ravel()
    if arr.dtype.kind == "O":
        flat = arr.ravel()
        out = [
            "" if (v is None or (isinstance(v, float) and math.isnan(v))) else str(v)
            for v in flat
        ]
        return np.asarray(out, dtype=np.str_).reshape(flat.shape)
    return arr.astype(np.str_).ravel()


def _pav(counts: FloatArray, bads: FloatArray, increasing: bool) -> list[tuple[int, int]]:
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


class _Groups:
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
        best: _Groups | None = None
        for increasing in (True, False) if monotonic else (None,):
            g = _Groups(counts, bads)
            if increasing is not None:
                g.apply_blocks(_pav(g.n, g.b, increasing))
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
        g = _Groups(counts, bads)
        if order is not None:
            g.apply_blocks(_pav(g.n, g.b, increasing=True))
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
