"""Document checks: which documents a product still needs, and which given ones are invalid.

Plain rules on values, so the same checks run at filing and when a document is added.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from app.products.eligibility import age_on

PASSPORT_NUMBER = re.compile(r"^\d{4} ?\d{6}$")
INCOME_STATEMENT_MAX_AGE_DAYS = 30
PASSPORT_MIN_AGE = 14
# A Russian passport must be replaced at 20 and at 45.
PASSPORT_REPLACEMENT_AGES = (20, 45)


@dataclass(frozen=True, slots=True)
class GivenDocument:
    type: str
    number: str | None
    issued_on: date


@dataclass(frozen=True, slots=True)
class DocumentProblem:
    index: int
    field: str
    detail: str


def normalise_passport(number: str) -> str:
    return number.replace(" ", "")


def _birthday(birth_date: date, years: int) -> date:
    try:
        return birth_date.replace(year=birth_date.year + years)
    except ValueError:  # 29 February
        return birth_date.replace(year=birth_date.year + years, day=28)


def invalid_documents(
    documents: Sequence[GivenDocument],
    *,
    birth_date: date,
    passport_number: str,
    today: date,
    first_index: int = 0,
) -> list[DocumentProblem]:
    problems: list[DocumentProblem] = []
    age = age_on(birth_date, today)
    for offset, doc in enumerate(documents):
        i = first_index + offset
        if doc.issued_on > today:
            problems.append(DocumentProblem(i, "issued_on", "the issue date is in the future"))
            continue
        if doc.issued_on < birth_date:
            problems.append(DocumentProblem(i, "issued_on", "issued before the borrower was born"))
            continue
        if doc.type == "passport":
            if doc.number is None or not PASSPORT_NUMBER.match(doc.number):
                problems.append(DocumentProblem(i, "number", "a passport number is 4 + 6 digits"))
            elif normalise_passport(doc.number) != normalise_passport(passport_number):
                problems.append(DocumentProblem(i, "number", "does not match the borrower's passport"))
            if doc.issued_on < _birthday(birth_date, PASSPORT_MIN_AGE):
                problems.append(DocumentProblem(i, "issued_on", "a passport is issued from age 14"))
            for limit in PASSPORT_REPLACEMENT_AGES:
                if age >= limit and doc.issued_on < _birthday(birth_date, limit):
                    problems.append(
                        DocumentProblem(
                            i, "issued_on", f"the passport expired at age {limit} and must be replaced"
                        )
                    )
                    break
        if doc.type == "income_statement" and (
            today - doc.issued_on > timedelta(days=INCOME_STATEMENT_MAX_AGE_DAYS)
        ):
            problems.append(
                DocumentProblem(
                    i,
                    "issued_on",
                    f"an income statement must be at most {INCOME_STATEMENT_MAX_AGE_DAYS} days old",
                )
            )
    return problems


def missing_documents(required: Sequence[str], given: Sequence[GivenDocument]) -> list[str]:
    have = {d.type for d in given}
    return [t for t in required if t not in have]
