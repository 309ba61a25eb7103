"""One characteristic of a points card: its binning, coefficient and points per bin."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy.typing as npt

from scoring.binning import UNSEEN, Binning
from scoring.woe import IntArray, stored

__all__ = ["Characteristic"]


@dataclass(frozen=True)
class Characteristic:
    """One characteristic of the card: its bins and the points of each bin.

    Attributes
    ----------
    binning : Binning
        Bins and their training statistics.
    coef : float
        Logistic coefficient on the WoE (negative: WoE up, risk down).
    points : tuple of float
        Points per bin (same order as ``binning.labels``).
    unseen_bin : int
        Bin used for values the binning has no bin for: an unseen category, or a
        missing value when training had none.  Always the bin with the fewest
        points (see the module docs of :mod:`scoring` for why).
    """

    binning: Binning
    coef: float
    points: tuple[float, ...]
    unseen_bin: int

    @property
    def name(self) -> str:
        return self.binning.name

    @property
    def max_points(self) -> float:
        return max(self.points)

    def bin_index(self, values: npt.ArrayLike) -> IntArray:
        """Bin of each value with unseen values sent to :attr:`unseen_bin`."""
        idx = self.binning.bin_index(values)
        unseen = idx == UNSEEN
        if unseen.any():
            idx[unseen] = self.unseen_bin
        return idx

    def to_dict(self) -> dict[str, Any]:
        d = self.binning.to_dict()
        d.update(coef=stored(self.coef), points=list(self.points), unseen_bin=self.unseen_bin)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Characteristic:
        return cls(
            binning=Binning.from_dict(d),
            coef=float(d["coef"]),
            points=tuple(float(p) for p in d["points"]),
            unseen_bin=int(d["unseen_bin"]),
        )

