"""A fitted points scorecard: scoring (batch and one applicant), scaling, persistence.

Fitting lives in :mod:`scoring.scorecard_fit`, reason codes in :mod:`scoring.reason_codes`,
the plain-Python tables of :meth:`Scorecard.score_one` in :mod:`scoring.scalar_card`.
"""

from __future__ import annotations

import json
import math
from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any, cast

import numpy as np
import numpy.typing as npt

from scoring.characteristic import Characteristic
from scoring.master_scale import DEFAULT_MASTER_SCALE, MasterScale
from scoring.reason_codes import MAX_REASONS, reason_codes
from scoring.scalar_card import CATEGORICAL, EXACT_INT, NUMERIC, Reason, ScalarCard, scalar_spec
from scoring.woe import FloatArray, IntArray, stored

__all__ = [
    "DEFAULT_ARTEFACT",
    "MAX_REASONS",
    "PD_FLOOR",
    "PD_MEMO_LIMIT",
    "SCHEMA",
    "Characteristic",
    "ScoreResult",
    "Scorecard",
    "SingleScore",
    "load_scorecard",
]

#: JSON schema version of the artefact (bump on incompatible layout changes).
SCHEMA = "scoring.scorecard/1"
#: File name of the default card shipped in ``scoring/data``.
DEFAULT_ARTEFACT = "scorecard-german-v1.json"
#: PD is clipped to ``[PD_FLOOR, 1 - PD_FLOOR]`` so it is strictly inside (0, 1).
PD_FLOOR = 1e-9
#: Distinct points totals whose PD and grade :meth:`Scorecard.score_one` keeps per card.
PD_MEMO_LIMIT = 1 << 16

@dataclass(frozen=True)
class ScoreResult:
    """Scores of a batch of applicants, all arrays aligned with the input rows.

    Attributes
    ----------
    points : ndarray of float64
        Total points (higher = lower risk).
    pd : ndarray of float64
        Probability of default, strictly inside (0, 1).
    grade : ndarray of str
        Master-scale grade.
    reason_codes : ndarray of intp, shape (n, 4)
        Index into :attr:`names` of each reason, -1 in unused slots.
    reason_points : ndarray of float64, shape (n, 4)
        Points lost for each reason (0 in unused slots).
    names : tuple of str
        The card's characteristic names.

    Notes
    -----
    :attr:`reasons` gives the adverse-action reason codes as names: per row, the
    characteristics that cost the applicant most points against their best bin,
    largest loss first, only where points were lost, at most four; ``""`` pads.
    """

    points: FloatArray
    pd: FloatArray
    grade: npt.NDArray[np.str_]
    reason_codes: IntArray
    reason_points: FloatArray
    names: tuple[str, ...]

    def __len__(self) -> int:
        return int(self.points.size)

    @property
    def reasons(self) -> npt.NDArray[np.object_]:
        """Reason-code names, object array of str of shape (n, 4), ``""`` padded."""
        table = np.asarray([*self.names, ""], dtype=object)
        return np.asarray(table[self.reason_codes], dtype=object)

    def reasons_of(self, i: int) -> tuple[str, ...]:
        """Reason codes of row ``i`` as a tuple of names (no padding)."""
        return tuple(self.names[j] for j in self.reason_codes[i] if j >= 0)


@dataclass(frozen=True, slots=True)
class SingleScore:
    """Score of one applicant (:meth:`Scorecard.score_one`).

    Attributes
    ----------
    points : float
        Total points.
    pd : float
        Probability of default, strictly inside (0, 1).
    grade : str
        Master-scale grade.
    reasons : tuple of str
        Reason codes, as :meth:`ScoreResult.reasons_of`: largest loss first,
        ties in card order, only characteristics that lost points, at most
        :data:`MAX_REASONS`.
    """

    points: float
    pd: float
    grade: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Scorecard:
    """A fitted points scorecard.

    Points are ``base_points + sum_j points_j[bin_j(x)]``.  Odds are good:bad and
    rise with points: ``odds = base_odds * 2 ** ((points - base_score) / pdo)``,
    ``pd = 1 / (1 + odds)``.

    Attributes
    ----------
    characteristics : tuple of Characteristic
        The characteristics in the model, in scoring order.
    base_points : float
        Points every applicant starts with (scaled intercept).
    intercept : float
        Logistic intercept (log-odds of bad at WoE = 0).
    base_score, base_odds, pdo : float
        Scaling: ``base_score`` points mean good:bad odds of ``base_odds``; the
        odds double every ``pdo`` points.
    version : str
        Artefact version.
    metadata : dict
        ``fitted_on``, ``dataset``, ``n``, ``n_bad``, ``iv_table``, ``options``.
    master_scale : MasterScale
        Grades used by :meth:`score`.
    odds_direction : str
        Always ``"good:bad, rising with points"`` for cards built here.
    """

    characteristics: tuple[Characteristic, ...]
    base_points: float
    intercept: float
    base_score: float
    base_odds: float
    pdo: float
    version: str
    metadata: dict[str, Any] = field(default_factory=dict)
    master_scale: MasterScale = DEFAULT_MASTER_SCALE
    odds_direction: str = "good:bad, rising with points"

    @property
    def names(self) -> tuple[str, ...]:
        """Names of the characteristics used by the card."""
        return tuple(c.name for c in self.characteristics)

    @property
    def factor(self) -> float:
        """Points per unit of log-odds, ``pdo / ln 2``."""
        return self.pdo / math.log(2.0)

    def pd_from_points(self, points: npt.ArrayLike) -> FloatArray:
        """Calibrated PD of a points total (vectorised).

        Notes
        -----
        .. math::

            \\text{odds} = \\text{base\\_odds}\\cdot 2^{(s - \\text{base\\_score})/\\text{pdo}},
            \\qquad PD = \\frac{1}{1 + \\text{odds}},

        computed as ``1 / (1 + exp(ln(base_odds) + (s - base_score) ln2 / pdo))``
        and clipped to ``[1e-9, 1 - 1e-9]`` so it is strictly inside (0, 1).
        PD falls strictly as points rise (until the clip).
        """
        s = np.asarray(points, dtype=np.float64)
        log_odds = math.log(self.base_odds) + (s - self.base_score) / self.factor
        with np.errstate(over="ignore"):
            pd = 1.0 / (1.0 + np.exp(log_odds))
        return np.clip(pd, PD_FLOOR, 1.0 - PD_FLOOR)

    def points_for_pd(self, pd: npt.ArrayLike) -> FloatArray:
        """Points total at which the card's PD equals ``pd`` (inverse of
        :meth:`pd_from_points`)."""
        p = np.asarray(pd, dtype=np.float64)
        return self.base_score + self.factor * (np.log((1.0 - p) / p) - math.log(self.base_odds))

    def grade_points_bounds(self) -> dict[str, tuple[float, float]]:
        """Points band ``[low, high)`` of each performing grade on this card."""
        ub = np.asarray(self.master_scale.upper_pd)
        lo = np.concatenate([[0.0], ub[:-1]])
        out: dict[str, tuple[float, float]] = {}
        with np.errstate(divide="ignore"):
            for g, a, b in zip(self.master_scale.grades, lo, ub, strict=True):
                high = math.inf if a == 0.0 else float(self.points_for_pd(a))
                low = -math.inf if b == 1.0 else float(self.points_for_pd(b))
                out[g] = (low, high)
        return out

    def score(self, columns: Mapping[str, npt.ArrayLike]) -> ScoreResult:
        """Score applicants.

        Parameters
        ----------
        columns : mapping of str to array_like
            One array per characteristic of the card (extra keys are ignored),
            all of the same length.  Numeric: float, NaN missing.  Categorical:
            str, ``None`` / ``""`` missing.

        Returns
        -------
        ScoreResult

        Notes
        -----
        Missing values go to the missing bin learnt in training; unseen
        categories, and missing values of a characteristic that had none in
        training, go to the bin with the fewest points (the worst bin).  Reason
        codes rank characteristics by ``max(points_j) - points_j[bin_j]``
        (ties: card order) and keep at most four with a positive loss.
        """
        missing = [c for c in self.names if c not in columns]
        if missing:
            raise KeyError(f"columns missing for characteristics: {missing}")
        n: int | None = None
        idx_cols: list[IntArray] = []
        for ch in self.characteristics:
            idx = ch.bin_index(columns[ch.name])
            if n is None:
                n = int(idx.size)
            elif idx.size != n:
                raise ValueError(f"column {ch.name!r} has {idx.size} rows, expected {n}")
            idx_cols.append(idx)
        n = 0 if n is None else n
        total = np.full(n, self.base_points, dtype=np.float64)
        for ch, idx in zip(self.characteristics, idx_cols, strict=True):
            total += np.take(np.asarray(ch.points, dtype=np.float64), idx)
        pd = self.pd_from_points(total)
        grade = self.master_scale.grade_for_pd(pd)
        codes, reason_pts = reason_codes(self.characteristics, idx_cols, n)
        return ScoreResult(
            points=total,
            pd=pd,
            grade=grade,
            reason_codes=codes,
            reason_points=reason_pts,
            names=self.names,
        )

    def score_one(self, values: Mapping[str, object]) -> SingleScore:
        """Score one applicant: the same result as :meth:`score` on one row.

        Parameters
        ----------
        values : mapping of str to object
            One value per characteristic of the card (extra keys are ignored):
            numeric float / int (NaN or ``None`` missing), categorical str
            (``None`` / ``""`` missing).  Other types are accepted and binned
            exactly as :meth:`score` bins them.

        Returns
        -------
        SingleScore

        Notes
        -----
        Equal, bit for bit, to ``score({k: [v] for k, v in values.items()})``
        read at row 0 (``points[0]``, ``pd[0]``, ``grade[0]``,
        ``reasons_of(0)``), in plain Python: bisection on the cuts
        (``side="right"``, as :meth:`Binning.bin_index`), a dictionary per
        categorical, the points summed in card order, reason codes sorted by
        (loss, card order).  The PD and grade of each points total are computed
        by the array path the first time the total is seen and kept on the card
        (at most :data:`PD_MEMO_LIMIT` totals).  A card with non-finite points
        is scored through :meth:`score`.  About 80x faster than :meth:`score`
        on one row.
        """
        fast = self._scalar
        if fast is None:
            return self._score_one_by_array(values)
        total = self.base_points
        lost: list[Reason] = []
        for name, kind, cuts, table, missing, unseen, pts, reasons, ch in fast.specs:
            try:
                v = values[name]
            except KeyError:
                self._check_names(values)
                raise
            if kind == NUMERIC:
                if type(v) is float:
                    b = missing if v != v else bisect_right(cuts, v)
                elif type(v) is int and -EXACT_INT <= v <= EXACT_INT:
                    b = bisect_right(cuts, v)
                elif v is None:
                    b = missing
                else:
                    b = self._bin_by_array(ch, v, values)
            elif kind == CATEGORICAL:
                if type(v) is str:
                    if v and v[-1] == "\x00":  # numpy's str arrays drop trailing NULs
                        v = v.rstrip("\x00")
                    b = table.get(v, unseen)
                elif v is None:
                    b = missing
                else:
                    b = self._bin_by_array(ch, v, values)
            else:
                b = self._bin_by_array(ch, v, values)
            total += pts[b]
            r = reasons[b]
            if r is not None:
                lost.append(r)
        if len(lost) > 1:
            lost.sort(reverse=True)
        memo = fast.memo
        pd_grade = memo.get(total)
        if pd_grade is None:
            pd_grade = self._pd_and_grade(total)
            if len(memo) < PD_MEMO_LIMIT:
                memo[total] = pd_grade
        return SingleScore(
            points=total,
            pd=pd_grade[0],
            grade=pd_grade[1],
            reasons=tuple(r[2] for r in lost[:MAX_REASONS]),
        )

    @cached_property
    def _scalar(self) -> ScalarCard | None:
        """Per-card tables of :meth:`score_one` (None: use the array path).

        Built on first use and stored in the instance ``__dict__`` (allowed on a
        frozen dataclass); not a field, so equality, repr and JSON ignore it.
        """
        if not all(math.isfinite(p) for ch in self.characteristics for p in ch.points):
            return None
        specs = tuple(scalar_spec(j, ch) for j, ch in enumerate(self.characteristics))
        return ScalarCard(specs=specs, memo={})

    def _check_names(self, values: Mapping[str, object]) -> None:
        missing = [c for c in self.names if c not in values]
        if missing:
            raise KeyError(f"columns missing for characteristics: {missing}")

    def _bin_by_array(self, ch: Characteristic, value: object, values: Mapping[str, object]) -> int:
        """Bin of one value by :meth:`Characteristic.bin_index` itself.

        Absent characteristics are reported first, as :meth:`score` does before
        binning anything, so a bad value here cannot mask a missing key.
        """
        self._check_names(values)
        # a one-element list, exactly what score({k: [v]}) passes to bin_index
        idx = ch.bin_index(cast("npt.ArrayLike", [value]))
        if idx.size != 1:
            raise ValueError(f"{ch.name!r}: expected one value, got {idx.size}")
        return int(idx[0])

    def _pd_and_grade(self, total: float) -> tuple[float, str]:
        pd = self.pd_from_points(np.full(1, total, dtype=np.float64))
        grade = self.master_scale.grade_for_pd(pd)
        return float(pd[0]), str(grade[0])

    def _score_one_by_array(self, values: Mapping[str, object]) -> SingleScore:
        res = self.score({k: cast("npt.ArrayLike", [v]) for k, v in values.items()})
        if len(res) != 1:
            raise ValueError(f"expected one applicant, got {len(res)} rows")
        return SingleScore(
            points=float(res.points[0]),
            pd=float(res.pd[0]),
            grade=str(res.grade[0]),
            reasons=res.reasons_of(0),
        )

    def iv_table(self) -> list[dict[str, Any]]:
        """IV of every characteristic considered at fit time (from metadata)."""
        return list(self.metadata.get("iv_table", []))

    def summary(self) -> str:
        """Plain-text card: bins, WoE and points per characteristic."""
        lines = [
            f"Scorecard {self.version}: base points {self.base_points:g}, "
            f"{self.base_score:g} pts = {self.base_odds:g}:1 good:bad, PDO {self.pdo:g}"
        ]
        for ch in self.characteristics:
            b = ch.binning
            lines.append(f"{ch.name} (IV {b.iv:.3f}, {b.trend})")
            for lab, cnt, bad, w, pts in zip(
                b.labels, b.counts, b.bads, b.woe, ch.points, strict=True
            ):
                rate = bad / cnt if cnt else float("nan")
                lines.append(f"  {lab:<40} n={cnt:<5} bad={rate:6.1%} woe={w:+.3f} pts={pts:g}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "version": self.version,
            "odds_direction": self.odds_direction,
            "scaling": {
                "base_score": self.base_score,
                "base_odds": self.base_odds,
                "pdo": self.pdo,
            },
            "intercept": stored(self.intercept),
            "base_points": self.base_points,
            "master_scale": self.master_scale.to_dict(),
            "characteristics": [c.to_dict() for c in self.characteristics],
            "metadata": self.metadata,
        }

    def to_json(self) -> str:
        """Serialise to JSON text.

        Notes
        -----
        Cut points, points and the scaling are written with Python's shortest
        round-trip repr, so :meth:`from_json` restores them bit for bit and a
        reloaded card scores identically.  Fitted statistics (WoE, IV,
        coefficients, the intercept, the cross-validated AUCs) are written as
        :func:`scoring.woe.stored`, so a refit on another machine writes the same
        file although its least squares differ in the last binary place.
        """
        return json.dumps(self.to_dict(), indent=1, allow_nan=False, ensure_ascii=False) + "\n"

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Scorecard:
        if d.get("schema") != SCHEMA:
            raise ValueError(f"unsupported scorecard schema {d.get('schema')!r}")
        sc = d["scaling"]
        return cls(
            characteristics=tuple(Characteristic.from_dict(c) for c in d["characteristics"]),
            base_points=float(d["base_points"]),
            intercept=float(d["intercept"]),
            base_score=float(sc["base_score"]),
            base_odds=float(sc["base_odds"]),
            pdo=float(sc["pdo"]),
            version=str(d["version"]),
            metadata=dict(d.get("metadata", {})),
            master_scale=MasterScale.from_dict(d["master_scale"]),
            odds_direction=str(d["odds_direction"]),
        )

    @classmethod
    def from_json(cls, text: str) -> Scorecard:
        """Parse a card written by :meth:`to_json`."""
        return cls.from_dict(json.loads(text))

    def save(self, path: str | Path) -> None:
        """Write :meth:`to_json` to ``path``."""
        Path(path).write_text(self.to_json(), encoding="utf-8")


def load_scorecard(path: str | Path | None = None) -> Scorecard:
    """Load a card from ``path``, or the shipped default artefact when None.

    The default lives in ``scoring/data/`` and is read through
    :mod:`importlib.resources`, so it works from an installed wheel too.
    """
    if path is None:
        text = resources.files("scoring").joinpath("data", DEFAULT_ARTEFACT).read_text("utf-8")
    else:
        text = Path(path).read_text(encoding="utf-8")
    return Scorecard.from_json(text)

