"""The bank's master scale: rating grades with PD ranges."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from scoring.woe import FloatArray


@dataclass(frozen=True)
class MasterScale:
    """Performing grades (best to worst) with PD bands, plus a default grade.

    Grade ``i`` covers ``lower_pd(i) <= PD < upper_pd[i]`` with
    ``lower_pd(0) = 0`` and ``lower_pd(i) = upper_pd[i - 1]``; the last performing
    grade ends at PD = 1 (exclusive).  ``PD >= 1`` (a defaulted obligor) is the
    default grade.

    Attributes
    ----------
    grades : tuple of str
        Performing grades, best first.
    upper_pd : tuple of float
        Exclusive upper PD bound of each performing grade; strictly increasing,
        last one equal to 1.
    default_grade : str
        Grade for defaulted obligors (PD = 1).
    """

    grades: tuple[str, ...]
    upper_pd: tuple[float, ...]
    default_grade: str = "D"

    def __post_init__(self) -> None:
        if len(self.grades) != len(self.upper_pd) or not self.grades:
            raise ValueError("need one upper PD bound per performing grade")
        ub = np.asarray(self.upper_pd)
        if np.any(np.diff(ub) <= 0) or ub[0] <= 0 or ub[-1] != 1.0:
            raise ValueError("upper PD bounds must rise strictly and end at 1.0")
        if len(set(self.grades) | {self.default_grade}) != len(self.grades) + 1:
            raise ValueError("grade names must be distinct")

    @property
    def all_grades(self) -> tuple[str, ...]:
        """Performing grades then the default grade."""
        return (*self.grades, self.default_grade)

    def grade_index(self, pd: npt.ArrayLike) -> npt.NDArray[np.intp]:
        """Index into :attr:`all_grades` for each PD (vectorised).

        Notes
        -----
        ``index = #{i : upper_pd[i] <= pd}``, i.e. ``searchsorted(upper_pd, pd,
        side="right")``; PD >= 1 yields the default grade.  NaN raises.
        """
        p = np.asarray(pd, dtype=np.float64)
        if np.isnan(p).any():
            raise ValueError("PD is NaN")
        return np.searchsorted(np.asarray(self.upper_pd), p, side="right").astype(np.intp)

    def grade_for_pd(self, pd: npt.ArrayLike) -> npt.NDArray[np.str_]:
        """Grade name for each PD (vectorised, same shape as ``pd``)."""
        names = np.asarray(self.all_grades, dtype=np.str_)
        return names[self.grade_index(pd)]

    def pd_range(self, grade: str) -> tuple[float, float]:
        """``(lower, upper)`` PD band of a grade; the default grade is ``(1, 1)``."""
        if grade == self.default_grade:
            return (1.0, 1.0)
        i = self.grades.index(grade)
        lo = 0.0 if i == 0 else self.upper_pd[i - 1]
        return (lo, self.upper_pd[i])

    def representative_pd(self) -> FloatArray:
        """One PD per performing grade: the geometric midpoint of its band.

        Notes
        -----
        :math:`\\sqrt{lo \\cdot hi}` for inner grades; half the upper bound for the
        first grade.  Strictly increasing from best to worst grade.
        """
        ub = np.asarray(self.upper_pd, dtype=np.float64)
        lo = np.concatenate([[ub[0] / 4.0], ub[:-1]])
        return np.sqrt(lo * ub)

    def table(self) -> list[dict[str, Any]]:
        """Rows ``{"grade", "pd_from", "pd_to"}`` for documentation and reports."""
        rows = [
            {"grade": g, "pd_from": self.pd_range(g)[0], "pd_to": self.pd_range(g)[1]}
            for g in self.grades
        ]
        rows.append({"grade": self.default_grade, "pd_from": 1.0, "pd_to": 1.0})
        return rows

    def to_dict(self) -> dict[str, Any]:
        return {
            "grades": list(self.grades),
            "upper_pd": list(self.upper_pd),
            "default_grade": self.default_grade,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> MasterScale:
        return cls(
            grades=tuple(str(g) for g in d["grades"]),
            upper_pd=tuple(float(u) for u in d["upper_pd"]),
            default_grade=str(d["default_grade"]),
        )

    @classmethod
    def from_bounds(cls, grades: Sequence[str], upper_pd: Sequence[float]) -> MasterScale:
        return cls(grades=tuple(grades), upper_pd=tuple(float(u) for u in upper_pd))


#: Eight performing grades and "D".  Bands double roughly per grade at the good
#: end; the upper grades are wide because application PDs on the German data run
#: from a few per cent to well over 50 %.
DEFAULT_MASTER_SCALE = MasterScale(
    grades=("A1", "A2", "B1", "B2", "B3", "C1", "C2", "C3"),
    upper_pd=(0.01, 0.025, 0.05, 0.10, 0.175, 0.275, 0.40, 1.0),
    default_grade="D",
)
