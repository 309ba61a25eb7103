"""Shared fixtures: the German Credit data (tests/data; SCORING_GERMAN_CSV overrides)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from scoring import Scorecard, fit_scorecard, german_credit_columns
from scoring.application_features import SERVICE_CARD_OPTIONS
from scoring.german_credit import read_german_credit

REPO = Path(__file__).resolve().parents[2]
GERMAN_CSV = Path(
    os.environ.get("SCORING_GERMAN_CSV", REPO / "tests" / "data" / "germancredit.csv")
)


@pytest.fixture(scope="session")
def german_csv() -> Path:
    if not GERMAN_CSV.exists():
        pytest.skip(f"German Credit CSV not found at {GERMAN_CSV} (set SCORING_GERMAN_CSV)")
    return GERMAN_CSV


@pytest.fixture(scope="session")
def german_raw(german_csv: Path) -> tuple[dict[str, Any], np.ndarray]:
    return read_german_credit(german_csv)


@pytest.fixture(scope="session")
def german_app(german_csv: Path) -> tuple[dict[str, Any], np.ndarray]:
    return german_credit_columns(german_csv)


@pytest.fixture(scope="session")
def raw_card(german_raw: tuple[dict[str, Any], np.ndarray]) -> Scorecard:
    cols, bad = german_raw
    return fit_scorecard(cols, bad, version="test-raw", fitted_on="2026-01-01T00:00:00+00:00")


#: Service-feature cards fitted on German Credit by test_score_one and test_application_values.
GERMAN_OPTIONS: dict[str, dict[str, Any]] = {
    "greedy": {},
    "optimal": {"binning_method": "optimal"},
    "tree-unrounded": {"prebinning": "tree", "round_points": False},
    "optimal-small": {"binning_method": "optimal", "max_bins": 3, "min_bin_share": 0.1, "min_iv": 0.0},
}


@pytest.fixture(scope="session")
def german_cards(german_app: tuple[dict[str, Any], np.ndarray], raw_card: Scorecard) -> dict[str, Scorecard]:
    cols, bad = german_app
    cards = {
        f"german-{k}": fit_scorecard(cols, bad, **SERVICE_CARD_OPTIONS, **v, fitted_on="2026-01-01T00:00:00+00:00")
        for k, v in GERMAN_OPTIONS.items()
    }
    cards["german-raw"] = raw_card  # the raw German columns: long category labels
    return cards
