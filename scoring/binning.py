"""Supervised coarse classing (binning) of one characteristic by weight of evidence.

A numeric characteristic is fine-classed at quantiles, then merged so that its bad
rate is monotonic in the value (pool-adjacent-violators, direction chosen by IV),
every bin holds at least ``min_bin_share`` of the sample and there are at most
``max_bins`` value bins.  A categorical characteristic's levels are ordered by bad
rate (or by a business order given by the caller, enforced with
pool-adjacent-violators) and merged under the same share / count rules.  Missing
values (NaN; ``None`` or ``""``) always get a bin of their own when the training
sample has any.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from scoring.woe import FloatArray, pair_iv_loss, woe_iv

IntArray = npt.NDArray[np.intp]
Kind = Literal["numeric", "categorical"]

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
        """JSON-ready dict (floats kept exact by ``json``'s repr)."""
        return {
            "name": self.name,
            "kind": self.kind,
            "cuts": list(self.cuts),
            "levels": dict(self.levels),
            "labels": list(self.labels),
            "missing_bin": self.missing_bin,
            "counts": list(self.counts),
            "bads": list(self.bads),
            "woe": list(self.woe),
            "iv": self.iv,
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


def _fmt(v: float) -> str:
    return f"{v:.6g}"


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
    """
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

    best: _Groups | None = None
    trend = "none"
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
    cut_list = [float(cuts_fine[m[-1]]) for m in best.members[:-1]]
    if len(best.members) == 1:
        trend = "none"
    edges = [-math.inf, *cut_list, math.inf]
    labels = [f"[{_fmt(edges[i])}, {_fmt(edges[i + 1])})" for i in range(len(edges) - 1)]
    return _finish(
        name,
        "numeric",
        cut_list,
        {},
        labels,
        [round(float(v)) for v in best.n],
        [round(float(v)) for v in best.b],
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

    Returns
    -------
    Binning

    Notes
    -----
    Levels are sorted by smoothed bad rate :math:`(b + 0.5)/(n + 1)` (or taken in
    ``order``), so adjacent groups are the ones with the closest WoE; groups are
    then merged by the same min-share and max-bins rules as numeric bins.
    """
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
    else:
        perm = np.argsort((bads + 0.5) / (counts + 1.0), kind="stable")
    lev, counts, bads = lev[perm], counts[perm], bads[perm]
    g = _Groups(counts, bads)
    if order is not None:
        g.apply_blocks(_pav(g.n, g.b, increasing=True))
    g.enforce_min_count(min_count)
    g.enforce_max_groups(max_bins)
    levels: dict[str, int] = {}
    labels: list[str] = []
    for b_i, members in enumerate(g.members):
        names = [str(lev[m]) for m in members]
        for nm in names:
            levels[nm] = b_i
        labels.append(" | ".join(names))
    trend = "ordered" if len(g.members) > 1 else "none"
    return _finish(
        name,
        "categorical",
        [],
        levels,
        labels,
        [round(float(v)) for v in g.n],
        [round(float(v)) for v in g.b],
        n_missing,
        bad_missing,
        trend,
    )
