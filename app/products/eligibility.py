"""Whether a programme is open to a borrower: the product's hard limits, as plain rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from app.loanmath import add_months
from schemas.products import Product


@dataclass(frozen=True, slots=True)
class Applicant:
    birth_date: date
    monthly_income: Decimal
    monthly_debt_payments: Decimal


def age_on(birth_date: date, day: date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def ineligibility_reasons(
    product: Product,
    applicant: Applicant,
    *,
    amount: Decimal,
    term_months: int,
    channel: str,
    on: date,
    pdn: Decimal | None,
) -> list[str]:
    """Every rule the request breaks; empty when the programme is open to this borrower."""
    reasons: list[str] = []
    if not product.active:
        reasons.append("channel: the programme is closed to new loans")
    if channel not in {c.value for c in product.channels}:
        reasons.append(f"channel: not offered through the {channel} channel")
    if not product.min_amount <= amount <= product.max_amount:
        reasons.append(f"amount: must be between {product.min_amount} and {product.max_amount}")
    if not product.min_term_months <= term_months <= product.max_term_months:
        reasons.append(
            f"term: must be between {product.min_term_months} and {product.max_term_months} months"
        )
    age = age_on(applicant.birth_date, on)
    if age < product.min_age:
        reasons.append(f"age: {age} is below the minimum of {product.min_age}")
    age_at_end = age_on(applicant.birth_date, add_months(on, term_months))
    if age_at_end > product.max_age:
        reasons.append(f"age: {age_at_end} at the end of the term exceeds {product.max_age}")
    if applicant.monthly_income < product.min_income:
        reasons.append(f"income: below the minimum of {product.min_income}")
    if pdn is not None and pdn > product.pdn_limit:
        reasons.append(f"pdn: {pdn} exceeds the programme's limit of {product.pdn_limit}")
    return reasons
