"""Points scorecard: fitting (binning -> IV selection -> logistic on WoE -> scaling),
scoring with reason codes, and exact JSON persistence."""

from __future__ import annotations

import datetime as _dt
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from scoring.binning import (
    UNSEEN,
    Binning,
    IntArray,
    fit_categorical_binning,
    fit_numeric_binning,
    is_numeric,
)
from scoring.logistic import fit_logistic_l2
from scoring.master_scale import DEFAULT_MASTER_SCALE, MasterScale
from scoring.woe import FloatArray

#: JSON schema version of the artefact (bump on incompatible layout changes).
SCHEMA = "scoring.scorecard/1"
#: File name of the default card shipped in ``scoring/data``.
DEFAULT_ARTEFACT = "scorecard-german-v1.json"
#: PD is clipped to ``[PD_FLOOR, 1 - PD_FLOOR]`` so it is strictly inside (0, 1).
PD_FLOOR = 1e-9
#: Reason codes reported per applicant.
MAX_REASONS = 4


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
        d.update(coef=self.coef, points=list(self.points), unseen_bin=self.unseen_bin)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Characteristic:
        return cls(
            binning=Binning.from_dict(d),
            coef=float(d["coef"]),
            points=tuple(float(p) for p in d["points"]),
            unseen_bin=int(d["unseen_bin"]),
        )


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
        p = len(self.characteristics)
        pts_cols: list[FloatArray] = []
        for ch in self.characteristics:
            idx = ch.bin_index(columns[ch.name])
            if n is None:
                n = int(idx.size)
            elif idx.size != n:
                raise ValueError(f"column {ch.name!r} has {idx.size} rows, expected {n}")
            pts_cols.append(np.asarray(ch.points, dtype=np.float64)[idx])
        n = 0 if n is None else n
        total = np.full(n, self.base_points, dtype=np.float64)
        for col in pts_cols:
            total += col
        pd = self.pd_from_points(total)
        grade = self.master_scale.grade_for_pd(pd)
        width = MAX_REASONS
        codes = np.full((n, width), -1, dtype=np.intp)
        reason_pts = np.zeros((n, width), dtype=np.float64)
        if p and n:
            loss = np.empty((n, p), dtype=np.float64)
            for j, (ch, col) in enumerate(zip(self.characteristics, pts_cols, strict=True)):
                np.subtract(ch.max_points, col, out=loss[:, j])
            rows = np.arange(n)
            for r in range(min(width, p)):
                # argmax returns the first maximum: ties resolved in card order
                j = np.argmax(loss, axis=1)
                top = loss[rows, j]
                lost = top > 0
                codes[:, r] = np.where(lost, j, -1)
                reason_pts[:, r] = np.where(lost, top, 0.0)
                loss[rows, j] = -np.inf
        return ScoreResult(
            points=total,
            pd=pd,
            grade=grade,
            reason_codes=codes,
            reason_points=reason_pts,
            names=self.names,
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
            "intercept": self.intercept,
            "base_points": self.base_points,
            "master_scale": self.master_scale.to_dict(),
            "characteristics": [c.to_dict() for c in self.characteristics],
            "metadata": self.metadata,
        }

    def to_json(self) -> str:
        """Serialise to JSON text.

        Notes
        -----
        Floats are written with Python's shortest round-trip repr, so
        :meth:`from_json` restores every cut point and point value bit for bit
        and a reloaded card scores identically.
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


def _as_set(names: str | Iterable[str] | None) -> set[str]:
    if names is None:
        return set()
    if isinstance(names, str):
        return {names}
    return set(names)


def fit_scorecard(
    columns: Mapping[str, npt.ArrayLike],
    bad: npt.ArrayLike,
    *,
    min_bin_share: float = 0.05,
    max_bins: int = 6,
    fine_bins: int = 20,
    monotonic: bool | Mapping[str, bool] = True,
    category_order: Mapping[str, Sequence[str]] | None = None,
    min_iv: float = 0.02,
    include: str | Iterable[str] | None = None,
    exclude: str | Iterable[str] | None = None,
    l2: float = 1.0,
    sign_check: bool = True,
    base_score: float = 600.0,
    base_odds: float = 50.0,
    pdo: float = 20.0,
    round_points: bool = True,
    master_scale: MasterScale = DEFAULT_MASTER_SCALE,
    version: str = "unversioned",
    dataset: str = "",
    fitted_on: str | None = None,
) -> Scorecard:
    """Fit a points scorecard.

    Parameters
    ----------
    columns : mapping of str to array_like
        Characteristics.  Numeric dtype (float/int/bool, NaN missing) is binned
        as numeric; str/object (``None`` / ``""`` missing) as categorical.
    bad : array_like of {0, 1}
        1 for a loan that defaulted.
    min_bin_share : float, default 0.05
        Minimum share of loans in each value bin.
    max_bins : int, default 6
        Maximum value bins per characteristic (missing bin extra).
    fine_bins : int, default 20
        Quantiles for numeric fine classing.
    monotonic : bool or mapping of str to bool, default True
        Force a monotone bad rate in numeric characteristics (per name if a
        mapping; names absent from the mapping default to True).
    category_order : mapping of str to sequence of str, optional
        Business order (best to worst) of a categorical's levels; WoE is forced
        to fall along it.
    min_iv : float, default 0.02
        Characteristics with a lower IV are dropped unless in ``include``.
    include, exclude : str or iterable of str, optional
        Force characteristics in / out.
    l2 : float, default 1.0
        Ridge penalty of the logistic regression.
    sign_check : bool, default True
        Drop (one at a time, then refit) characteristics whose coefficient has
        the wrong sign (risk rising with WoE), unless forced in.
    base_score, base_odds, pdo : float, default 600, 50, 20
        Scaling: ``base_score`` points = ``base_odds``:1 good:bad; odds double
        every ``pdo`` points.
    round_points : bool, default True
        Round each bin's points and the base points to integers.
    master_scale : MasterScale, default DEFAULT_MASTER_SCALE
    version, dataset : str
        Stored in the card.
    fitted_on : str, optional
        ISO timestamp stored as metadata; default now (UTC).

    Returns
    -------
    Scorecard

    Notes
    -----
    With WoE in the good/bad convention and the logistic model
    :math:`\\ln\\frac{PD}{1-PD} = \\beta_0 + \\sum_j \\beta_j \\mathrm{WoE}_j`, the
    factor :math:`F = \\mathrm{pdo}/\\ln 2` and offset
    :math:`O = \\text{base\\_score} - F\\ln(\\text{base\\_odds})` give

    .. math::

        \\text{points} = \\underbrace{O - F\\beta_0}_{\\text{base points}}
        + \\sum_j \\left(-F\\beta_j\\,\\mathrm{WoE}_{j,\\mathrm{bin}}\\right)
        = O + F \\ln \\text{odds}_{good:bad} .
    """
    y = np.asarray(bad, dtype=np.float64).ravel()
    if not np.all((y == 0) | (y == 1)):
        raise ValueError("bad must be 0/1")
    n = int(y.size)
    if n == 0 or y.sum() == 0 or y.sum() == n:
        raise ValueError("need both good and bad loans to fit")
    inc, exc = _as_set(include), _as_set(exclude)
    unknown = (inc | exc) - set(columns)
    if unknown:
        raise KeyError(f"include/exclude name unknown characteristics: {sorted(unknown)}")
    orders = dict(category_order or {})

    binnings: dict[str, Binning] = {}
    for name, values in columns.items():
        arr = np.asarray(values)
        if arr.ravel().size != n:
            raise ValueError(f"column {name!r} has {arr.size} rows, expected {n}")
        if is_numeric(arr):
            mono = monotonic if isinstance(monotonic, bool) else monotonic.get(name, True)
            binnings[name] = fit_numeric_binning(
                name, arr, y, min_bin_share=min_bin_share, max_bins=max_bins,
                fine_bins=fine_bins, monotonic=mono,
            )
        else:
            binnings[name] = fit_categorical_binning(
                name, arr, y, min_bin_share=min_bin_share, max_bins=max_bins,
                order=orders.get(name),
            )

    iv_rows: dict[str, dict[str, Any]] = {}
    selected: list[str] = []
    for name, b in binnings.items():
        status = "selected"
        if name in exc:
            status = "excluded"
        elif name in inc:
            status = "forced"
        elif b.n_bins < 2:
            status = "single bin"
        elif b.iv < min_iv:
            status = "low IV"
        iv_rows[name] = {"name": name, "iv": b.iv, "bins": b.n_bins, "status": status}
        if status in ("selected", "forced"):
            selected.append(name)

    woe_cols: dict[str, FloatArray] = {}
    for name in selected:
        b = binnings[name]
        idx = b.bin_index(columns[name])
        woe = np.asarray(b.woe, dtype=np.float64)
        woe_cols[name] = np.where(idx == UNSEEN, 0.0, woe[np.maximum(idx, 0)])

    while True:
        x = (
            np.column_stack([woe_cols[s] for s in selected])
            if selected
            else np.zeros((n, 0))
        )
        fit = fit_logistic_l2(x, y, l2=l2)
        if not sign_check:
            break
        wrong = [
            (float(c), s) for c, s in zip(fit.coef, selected, strict=True) if c > 0 and s not in inc
        ]
        if not wrong:
            break
        _, worst = max(wrong)
        iv_rows[worst]["status"] = "wrong sign"
        selected.remove(worst)

    factor = pdo / math.log(2.0)
    offset = base_score - factor * math.log(base_odds)
    base_points = offset - factor * fit.intercept
    if round_points:
        base_points = float(round(base_points))
    chars: list[Characteristic] = []
    for name, coef in zip(selected, fit.coef, strict=True):
        b = binnings[name]
        pts = -factor * float(coef) * np.asarray(b.woe, dtype=np.float64)
        if round_points:
            pts = np.round(pts)
        pts = pts + 0.0  # normalise -0.0
        unseen = int(np.argmin(pts))
        chars.append(
            Characteristic(
                binning=b, coef=float(coef), points=tuple(float(v) for v in pts), unseen_bin=unseen
            )
        )
        iv_rows[name]["coef"] = float(coef)

    metadata: dict[str, Any] = {
        "fitted_on": fitted_on
        or _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat(),
        "dataset": dataset,
        "n": n,
        "n_bad": int(y.sum()),
        "iv_table": sorted(iv_rows.values(), key=lambda r: -float(r["iv"])),
        "logistic": {"converged": fit.converged, "iterations": fit.n_iter},
        "options": {
            "min_bin_share": min_bin_share,
            "max_bins": max_bins,
            "fine_bins": fine_bins,
            "monotonic": monotonic if isinstance(monotonic, bool) else dict(monotonic),
            "category_order": {k: list(v) for k, v in orders.items()},
            "min_iv": min_iv,
            "include": sorted(inc),
            "exclude": sorted(exc),
            "l2": l2,
            "sign_check": sign_check,
            "round_points": round_points,
        },
    }
    return Scorecard(
        characteristics=tuple(chars),
        base_points=base_points,
        intercept=fit.intercept,
        base_score=float(base_score),
        base_odds=float(base_odds),
        pdo=float(pdo),
        version=version,
        metadata=metadata,
        master_scale=master_scale,
    )
