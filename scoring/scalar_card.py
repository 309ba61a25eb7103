"""The scalar path of :meth:`scoring.Scorecard.score_one`: per-card tables in plain Python.

A card is turned once into one :data:`Spec` per characteristic (cuts as a list for
:func:`bisect.bisect_right`, a dictionary per categorical, points and reasons per bin), so
one applicant is scored without building numpy arrays.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import pairwise

from scoring.binning import UNSEEN
from scoring.characteristic import Characteristic

__all__ = [
    "BY_ARRAY",
    "CATEGORICAL",
    "EXACT_INT",
    "NUMERIC",
    "Reason",
    "ScalarCard",
    "Spec",
    "scalar_spec",
]

#: Kinds of :data:`Spec`: numeric by bisection, categorical by dictionary, or
#: each value through :meth:`Characteristic.bin_index` (cards the scalar rules do
#: not cover: no value bins, unsorted / NaN cuts, levels ending in NUL).
NUMERIC, CATEGORICAL, BY_ARRAY = 0, 1, 2
#: Ints of at most this magnitude are exact floats, so comparing them with the
#: cuts directly is what numpy does after converting them to float64.
EXACT_INT = 2**53
#: ``(points lost, -position in card, name)``: sorted descending, the order of
#: the reason codes (larger loss first, then card order).
Reason = tuple[float, int, str]
#: ``(name, kind, cuts, table, missing bin, unseen bin, points per bin,
#: reason per bin (None: no loss), characteristic)``.
Spec = tuple[
    str, int, list[float], dict[str, int], int, int, tuple[float, ...],
    tuple[Reason | None, ...], Characteristic,
]


@dataclass(frozen=True, slots=True)
class ScalarCard:
    """What :meth:`Scorecard.score_one` precomputes once per card.

    ``memo`` maps a points total to its ``(pd, grade)`` as computed by the
    array path (:meth:`Scorecard.pd_from_points` and the master scale on a
    one-element array): numpy may evaluate ``exp`` with its own SIMD code, not
    guaranteed to equal ``math.exp`` bit for bit, so the PD of a total is taken
    from numpy once and reused.
    """

    specs: tuple[Spec, ...]
    memo: dict[float, tuple[float, str]]


def scalar_spec(j: int, ch: Characteristic) -> Spec:
    b = ch.binning
    top = ch.max_points
    reasons = tuple((top - p, -j, ch.name) if top - p > 0 else None for p in ch.points)
    unseen = ch.unseen_bin
    head = (ch.name,)
    tail = (unseen, ch.points, reasons, ch)
    cuts = [float(c) for c in b.cuts]
    if b.kind == "numeric":
        ordered = all(a <= c for a, c in pairwise(cuts))
        if b.n_value_bins > 0 and ordered and not any(math.isnan(c) for c in cuts):
            missing = unseen if b.missing_bin is None else b.missing_bin
            return (*head, NUMERIC, cuts, {}, missing, *tail)
    elif not any(k.endswith("\x00") for k in b.levels):
        # as the array lookup: "" is missing unless it is a level itself
        raw = {"": UNSEEN if b.missing_bin is None else b.missing_bin, **b.levels}
        table = {k: unseen if i == UNSEEN else i for k, i in raw.items()}
        return (*head, CATEGORICAL, [], table, table[""], *tail)
    return (*head, BY_ARRAY, [], {}, unseen, *tail)

