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

This module holds the fitted :class:`Binning` and how values are looked up in it; the
fitting is in :mod:`scoring.binning_fit` and the algorithms in :mod:`scoring.coarse_classing`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from scoring.woe import FloatArray, IntArray, stored

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
