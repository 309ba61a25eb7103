"""Calibrating a card's PDs to the bank's population (prior correction of the intercept).

A card fitted on a sample learns the sample's bad rate. The German Credit data holds 300
bads in 1,000 loans: a sample stratified for study, far above the 12-month default rate of
a bank's consumer book, so the card's best possible applicant (583 points) had a PD of
3.5 % and the A grades of the master scale (PD under 2.5 %) could never be reached. The
master scale is the bank's, shared by every card and priced by grade: it stays as it is,
and the card is moved onto it. Changing the sample's prior from ``rho`` to the population's
``pi`` moves every applicant's log-odds by the same amount (the classic prior correction
of a logistic model fitted on a case-control sample; King and Zeng 2001, Anderson 2007
ch. 15): ``delta = ln((1 - pi) / pi) - ln((1 - rho) / rho)`` on the good:bad scale, i.e.
``delta * pdo / ln 2`` points added to every applicant. The ranking (AUC, KS, reason
codes) is untouched; only the PD level, hence the grade, moves.
"""

from __future__ import annotations

import math
from dataclasses import replace

from scoring.scorecard import Scorecard

__all__ = [
    "CALIBRATED_ARTEFACT",
    "CALIBRATED_VERSION",
    "POPULATION_BAD_RATE",
    "calibrate_to_population",
    "calibration_shift_points",
    "load_calibrated_scorecard",
]


def calibration_shift_points(card: Scorecard, *, population_bad_rate: float, sample_bad_rate: float) -> float:
    """Points to add to every applicant so the card's odds carry the population's prior."""
    for name, v in (("population_bad_rate", population_bad_rate), ("sample_bad_rate", sample_bad_rate)):
        if not 0.0 < v < 1.0:
            raise ValueError(f"{name} must lie in (0, 1)")
    delta = math.log((1.0 - population_bad_rate) / population_bad_rate) - math.log(
        (1.0 - sample_bad_rate) / sample_bad_rate
    )
    return delta * card.factor


def calibrate_to_population(
    card: Scorecard, *, population_bad_rate: float, sample_bad_rate: float | None = None, version: str | None = None
) -> Scorecard:
    """The card with its base points moved so PDs average the population's bad rate.

    ``sample_bad_rate`` defaults to the card's own ``n_bad / n``. The shift is rounded to
    whole points (cards are read by people), and the rate it implies is recorded in the
    metadata with the sample's, so the artefact says how it was calibrated.
    """
    meta = card.metadata
    rho = sample_bad_rate if sample_bad_rate is not None else float(meta["n_bad"]) / float(meta["n"])
    shift = round(calibration_shift_points(card, population_bad_rate=population_bad_rate, sample_bad_rate=rho))
    odds = (1.0 - rho) / rho * math.exp(shift / card.factor)
    calibration = {
        "method": "prior correction of the intercept (population bad rate)",
        "sample_bad_rate": rho,
        "population_bad_rate": population_bad_rate,
        "shift_points": shift,
        "implied_population_bad_rate": round(1.0 / (1.0 + odds), 6),
    }
    return replace(
        card,
        base_points=card.base_points + shift,
        intercept=card.intercept - shift / card.factor,
        version=version or f"{card.version}-cal",
        metadata={**meta, "calibration": calibration},
    )


#: The shipped German card moved onto the bank's population: 8 % of consumer loans 90+
#: within twelve months (docs/scoring.md, "Calibration to the bank's population").
POPULATION_BAD_RATE = 0.08
CALIBRATED_ARTEFACT = "scorecard-german-v1-cal8.json"
CALIBRATED_VERSION = "german-credit-2026.11-v1-cal8"


def load_calibrated_scorecard() -> Scorecard:
    """The shipped card calibrated to :data:`POPULATION_BAD_RATE` (the service's default)."""
    from importlib import resources

    text = resources.files("scoring").joinpath("data", CALIBRATED_ARTEFACT).read_text("utf-8")
    return Scorecard.from_json(text)
