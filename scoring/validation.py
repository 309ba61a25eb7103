"""Discrimination (AUC, Gini, KS), calibration by grade, and population stability."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from scoring.scorecard import Scorecard
from scoring.woe import FloatArray


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


@dataclass(frozen=True)
class GradeRow:
    """One row of the table by grade."""

    grade: str
    count: int
    bads: int
    observed_bad_rate: float
    mean_pd: float


@dataclass(frozen=True)
class ValidationReport:
    """Discrimination and calibration of a card on a sample.

    Attributes
    ----------
    n, n_bad : int
    auc, gini, ks : float
        Computed on ``-points`` (risk order of the card).
    mean_pd, observed_bad_rate : float
    by_grade : tuple of GradeRow
        Grades with at least one loan, best first.
    """

    n: int
    n_bad: int
    auc: float
    gini: float
    ks: float
    mean_pd: float
    observed_bad_rate: float
    by_grade: tuple[GradeRow, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "n_bad": self.n_bad,
            "auc": self.auc,
            "gini": self.gini,
            "ks": self.ks,
            "mean_pd": self.mean_pd,
            "observed_bad_rate": self.observed_bad_rate,
            "by_grade": [r.__dict__ for r in self.by_grade],
        }

    def format(self) -> str:
        """Markdown rendering."""
        lines = [
            f"n={self.n} bads={self.n_bad} AUC={self.auc:.4f} Gini={self.gini:.4f} "
            f"KS={self.ks:.4f} mean PD={self.mean_pd:.4f} observed={self.observed_bad_rate:.4f}",
            "",
            "| grade | count | observed bad rate | mean PD |",
            "|---|---:|---:|---:|",
        ]
        for r in self.by_grade:
            lines.append(
                f"| {r.grade} | {r.count} | {r.observed_bad_rate:.3f} | {r.mean_pd:.3f} |"
            )
        return "\n".join(lines)


def validate(
    card: Scorecard, columns: Mapping[str, npt.ArrayLike], bad: npt.ArrayLike
) -> ValidationReport:
    """Score ``columns`` with ``card`` and measure it against ``bad``.

    Returns
    -------
    ValidationReport
        AUC, Gini (``2 AUC - 1``), KS, and per grade the count, observed bad rate
        and mean PD.
    """
    y = np.asarray(bad, dtype=np.float64).ravel()
    res = card.score(columns)
    if res.points.size != y.size:
        raise ValueError(f"{res.points.size} scored rows but {y.size} targets")
    a = auc(-res.points, y)
    rows = []
    for g in card.master_scale.all_grades:
        m = res.grade == g
        c = int(m.sum())
        if c == 0:
            continue
        b = int(y[m].sum())
        rows.append(GradeRow(g, c, b, b / c, float(res.pd[m].mean())))
    return ValidationReport(
        n=int(y.size),
        n_bad=int(y.sum()),
        auc=a,
        gini=2.0 * a - 1.0,
        ks=ks(-res.points, y),
        mean_pd=float(res.pd.mean()),
        observed_bad_rate=float(y.mean()),
        by_grade=tuple(rows),
    )


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
