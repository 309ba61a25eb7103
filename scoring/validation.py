"""Discrimination (AUC, Gini, KS), calibration by grade, and population stability."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from scoring.metrics import auc, ks, psi
from scoring.scorecard import Scorecard

__all__ = ["GradeRow", "ValidationReport", "auc", "ks", "psi", "validate"]


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
