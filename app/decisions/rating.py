"""Rating a borrower with the scorecard: application fields in, points, PD and grade out."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from scoring import Scorecard, application_columns, load_scorecard


@dataclass(frozen=True, slots=True)
class RatingResult:
    score: int
    pd: Decimal
    grade: str
    reasons: list[str]
    scorecard_version: str


@lru_cache
def scorecard(path: str | None = None) -> Scorecard:
    return load_scorecard(path)


def rate(
    card: Scorecard,
    *,
    term_months: int,
    amount: Decimal,
    age_years: int,
    employment_months: int,
    instalment_share: Decimal,
    housing: str,
    existing_credits: int,
    dependents: int,
    credit_history: str,
    purpose: str | None,
) -> RatingResult:
    columns = application_columns(
        term_months=term_months,
        amount=float(amount),
        age_years=age_years,
        employment_months=employment_months,
        instalment_share=float(instalment_share),
        housing=housing,
        existing_credits=existing_credits,
        dependents=dependents,
        credit_history=credit_history,
        purpose=purpose or "other",
    )
    result = card.score(columns)
    return RatingResult(
        score=round(float(result.points[0])),
        pd=Decimal(f"{float(result.pd[0]):.6f}"),
        grade=str(result.grade[0]),
        reasons=list(result.reasons_of(0)),
        scorecard_version=card.version,
    )
