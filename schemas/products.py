"""Lending programmes: limits, pricing, eligibility and the documents each one needs."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from schemas.money import PositiveMoney, RatePercent, Ratio

ProductCode = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{1,39}$", examples=["consumer"])]


class Channel(StrEnum):
    BRANCH = "branch"
    POS = "pos"


class DocumentType(StrEnum):
    PASSPORT = "passport"
    INCOME_STATEMENT = "income_statement"
    DRIVING_LICENCE = "driving_licence"
    VEHICLE_PURCHASE_AGREEMENT = "vehicle_purchase_agreement"
    PROPERTY_VALUATION = "property_valuation"
    PROPERTY_PURCHASE_AGREEMENT = "property_purchase_agreement"
    SNILS = "snils"


class ProductFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200, examples=["Потребительский кредит"])
    description: str = Field("", max_length=2000)
    min_amount: PositiveMoney
    max_amount: PositiveMoney
    min_term_months: int = Field(ge=1, le=600)
    max_term_months: int = Field(ge=1, le=600)
    annual_rate: RatePercent
    rate_by_grade: dict[str, RatePercent] = Field(
        default_factory=dict,
        description="Annual rate per rating grade; grades not listed pay `annual_rate`.",
    )
    min_age: int = Field(ge=18, le=100)
    max_age: int = Field(ge=18, le=100, description="Oldest age at the end of the term")
    min_income: PositiveMoney
    pdn_limit: Ratio
    channels: list[Channel] = Field(min_length=1)
    required_documents: list[DocumentType] = Field(min_length=1)
    active: bool = True

    @model_validator(mode="after")
    def _limits_are_ordered(self) -> ProductFields:
        if self.min_amount > self.max_amount:
            raise ValueError("min_amount exceeds max_amount")
        if self.min_term_months > self.max_term_months:
            raise ValueError("min_term_months exceeds max_term_months")
        if self.min_age > self.max_age:
            raise ValueError("min_age exceeds max_age")
        if DocumentType.PASSPORT not in self.required_documents:
            raise ValueError("every programme requires a passport")
        return self

    def rate_for(self, grade: str | None) -> Decimal:
        if grade is not None and grade in self.rate_by_grade:
            return self.rate_by_grade[grade]
        return self.annual_rate


class ProductCreate(ProductFields):
    code: ProductCode


class Product(ProductCreate):
    """A programme as the catalogue shows it."""


class ProductPage(BaseModel):
    items: list[Product]
    next_cursor: str | None = None
