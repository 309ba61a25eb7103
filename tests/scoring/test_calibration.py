"""The service's card is the German fit moved onto the bank's population: same ranking,
the bank's PD level, and grades across the whole master scale."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import numpy as np

from app.decisions.rating import rate, scorecard
from scoring import german_credit_columns, load_scorecard, validate
from scoring.calibration import (
    CALIBRATED_VERSION,
    POPULATION_BAD_RATE,
    calibrate_to_population,
    load_calibrated_scorecard,
)

GERMAN = Path(__file__).resolve().parents[1] / "data" / "germancredit.csv"


def test_shipped_calibrated_card_is_the_prior_correction_of_the_fit() -> None:
    made = calibrate_to_population(load_scorecard(), population_bad_rate=POPULATION_BAD_RATE,
                                   version=CALIBRATED_VERSION)
    assert load_calibrated_scorecard().to_json() == made.to_json()
    cal = made.metadata["calibration"]
    assert cal["shift_points"] == 46 and abs(cal["implied_population_bad_rate"] - 0.08) < 1e-3


def test_ranking_is_kept_and_grades_span_the_scale() -> None:
    cols, bad = german_credit_columns(GERMAN)
    raw, cal = load_scorecard(), load_calibrated_scorecard()
    assert validate(raw, cols, bad).auc == validate(cal, cols, bad).auc
    r = cal.score(cols)
    assert np.all(np.argsort(r.points, kind="stable") == np.argsort(raw.score(cols).points, kind="stable"))
    assert set(r.grade) == set(cal.master_scale.grades)  # A1 .. C3 all used
    assert 0.07 < float(r.pd.mean()) < 0.11


def test_a_strong_borrower_reaches_the_a_grades() -> None:
    card = scorecard()
    strong = dict(amount=Decimal(300000), age_years=45, employment_months=240, instalment_share=Decimal("0.05"),
                  housing="own", existing_credits=1, dependents=0, credit_history="good", purpose="consumer")
    assert rate(card, term_months=12, **strong).grade == "A2"  # type: ignore[arg-type]
    assert rate(card, term_months=6, **strong).grade == "A1"  # type: ignore[arg-type]
    assert rate(card, term_months=60, **strong).grade == "B1"  # was C1 on the uncalibrated fit
