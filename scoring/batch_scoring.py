"""File-level entry points for the service CLI: fit a card from a CSV, score a CSV.

``loans scorecard fit --data FILE --out FILE`` calls :func:`fit_from_csv` then
:meth:`scoring.Scorecard.save`; ``loans score --input FILE.csv --output FILE.csv``
calls :func:`score_csv`.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from scoring.application_features import (
    APPLICATION_FIELDS,
    FEATURES,
    SERVICE_CARD_OPTIONS,
    application_columns_from_records,
    german_credit_columns,
)
from scoring.german_credit import TARGET
from scoring.scorecard import Scorecard
from scoring.scorecard_fit import fit_scorecard

#: Version given to cards fitted from the German data unless ``version=`` is passed.
DEFAULT_VERSION = "german-credit-2026.11-v1"
#: Columns :func:`score_csv` appends to each input row.
OUTPUT_FIELDS = ("points", "pd", "grade", "reasons")


def fit_from_csv(path: str | Path, **options: Any) -> Scorecard:
    """Fit a card on the application characteristics from a CSV file.

    Parameters
    ----------
    path : str or Path
        Either the German Credit CSV (has a ``creditability`` column; mapped by
        :func:`scoring.application_features.german_credit_columns`) or a CSV with
        the application fields (:data:`scoring.application_features.APPLICATION_FIELDS`)
        and a 0/1 ``bad`` column.
    **options
        Passed to :func:`scoring.fit_scorecard`; defaults are
        :data:`scoring.application_features.SERVICE_CARD_OPTIONS`, ``version``
        :data:`DEFAULT_VERSION` and ``dataset`` the file name.

    Returns
    -------
    Scorecard
    """
    p = Path(path)
    with open(p, newline="", encoding="utf-8") as fh:
        header = next(csv.reader(fh))
    if TARGET in header:
        columns, bad = german_credit_columns(p)
        dataset = f"{p.name} (Hofmann 1994, Statlog German Credit, UCI, CC BY 4.0)"
    else:
        missing = [f for f in (*APPLICATION_FIELDS, "bad") if f not in header]
        if missing:
            raise ValueError(f"{p}: missing columns {missing}")
        with open(p, newline="", encoding="utf-8") as fh:
            records = list(csv.DictReader(fh))
        columns = application_columns_from_records(records)
        bad = np.array([float(r["bad"]) for r in records], dtype=np.float64)
        dataset = p.name
    kwargs: dict[str, Any] = {**SERVICE_CARD_OPTIONS, "version": DEFAULT_VERSION, "dataset": dataset}
    kwargs.update(options)
    return fit_scorecard(columns, bad, **kwargs)


def _chunks(reader: Iterator[dict[str, str]], size: int) -> Iterator[list[dict[str, str]]]:
    chunk: list[dict[str, str]] = []
    for row in reader:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def score_csv(
    card: Scorecard,
    input_path: str | Path,
    output_path: str | Path,
    chunk_rows: int = 100_000,
) -> int:
    """Score a CSV of applications in chunks, streaming to an output CSV.

    Parameters
    ----------
    card : Scorecard
        A card on the application characteristics
        (:data:`scoring.application_features.FEATURES`).
    input_path : str or Path
        CSV with a header containing the application fields
        (:data:`scoring.application_features.APPLICATION_FIELDS`); other columns
        are copied through.  Empty numeric cells are missing.
    output_path : str or Path
        Written with the input columns plus ``points``, ``pd``, ``grade`` and
        ``reasons`` (reason codes joined by ``;``).
    chunk_rows : int, default 100000
        Rows read, scored and written at a time (memory is O(chunk_rows)).

    Returns
    -------
    int
        Number of rows scored.
    """
    if chunk_rows < 1:
        raise ValueError("chunk_rows must be >= 1")
    foreign = [n for n in card.names if n not in FEATURES]
    if foreign:
        raise ValueError(f"card uses characteristics not on the application form: {foreign}")
    total = 0
    with (
        open(input_path, newline="", encoding="utf-8") as fin,
        open(output_path, "w", newline="", encoding="utf-8") as fout,
    ):
        reader = csv.DictReader(fin)
        header = list(reader.fieldnames or [])
        missing = [f for f in APPLICATION_FIELDS if f not in header]
        if missing:
            raise ValueError(f"{input_path}: missing columns {missing}")
        clash = [f for f in OUTPUT_FIELDS if f in header]
        if clash:
            raise ValueError(f"{input_path}: input already has output columns {clash}")
        writer = csv.writer(fout)
        writer.writerow([*header, *OUTPUT_FIELDS])
        for chunk in _chunks(reader, chunk_rows):
            res = card.score(application_columns_from_records(chunk))
            points = res.points.tolist()
            pds = res.pd.tolist()
            grades = res.grade.tolist()
            reasons = [";".join(r for r in row if r) for row in res.reasons.tolist()]
            writer.writerows(
                [
                    *(row.get(h, "") for h in header),
                    _num(points[i]),
                    repr(pds[i]),
                    grades[i],
                    reasons[i],
                ]
                for i, row in enumerate(chunk)
            )
            total += len(chunk)
    return total


def _num(v: float) -> str:
    return str(int(v)) if math.isfinite(v) and v == int(v) else repr(v)
