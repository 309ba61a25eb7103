"""Rebuild the shipped default card scoring/data/scorecard-german-v1.json.

    .venv/bin/python bench/scorecard_build_artefact.py --data ../shared/data/germancredit.csv

Fits on the whole German Credit data through the application mapping
(scoring.fit_from_csv with its defaults).  Identical input gives an identical
file apart from metadata.fitted_on.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scoring import fit_from_csv, german_credit_columns, validate  # noqa: E402
from scoring.scorecard import DEFAULT_ARTEFACT  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--out", default=str(ROOT / "scoring" / "data" / DEFAULT_ARTEFACT))
    args = ap.parse_args()
    card = fit_from_csv(args.data)
    card.save(args.out)
    cols, bad = german_credit_columns(args.data)
    print(card.summary())
    print(validate(card, cols, bad).format())
    print(f"wrote {args.out} ({card.version})")


if __name__ == "__main__":
    main()
