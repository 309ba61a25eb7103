"""Lending programmes: limits, pricing, eligibility and the documents each one needs."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from schemas.money import PositiveMoney, RatePercent, Ratio
from schemas.text import Name, PlainText
from scoring import DEFAULT_MASTER_SCALE

#: Grades a price may be set for: the bank's master scale, and its default grade.
GRADES = (*DEFAULT_MASTER_SCALE.grades, DEFAULT_MASTER_SCALE.default_grade)

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


class DayCountName(StrEnum):
    ACTUAL_365 = "actual/365"
    THIRTY_360 = "30/360"


class PenaltyBasisName(StrEnum):
    ANNUAL = "annual"
    DAILY = "daily"


class ProductFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name = Field(min_length=1, max_length=200, examples=["Потребительский кредит"])
    description: PlainText = Field("", max_length=2000)
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
    day_count: DayCountName = Field(
        DayCountName.ACTUAL_365,
        description="How interest accrues: actual/365 (each day 1/365 or 1/366; Russian retail practice) "
        "or 30/360 (legacy contracts)",
    )
    penalty_rate: Decimal = Field(
        Decimal(20), ge=0, le=20, decimal_places=4, allow_inf_nan=False,
        description="Penalty (неустойка) on overdue amounts, percent a year when penalty_basis is annual "
        "(at most 20, interest keeps accruing) or percent a day when daily (at most 0.1, no interest on "
        "overdue principal): 353-FZ art. 5 part 21",
    )
    penalty_basis: PenaltyBasisName = PenaltyBasisName.ANNUAL
    early_repayment_notice_days: int = Field(
        30, ge=0, le=30,
        description="Notice the borrower gives of an early repayment after the first 14 days (30 for a "
        "targeted loan), at most 30 (353-FZ art. 11)",
    )
    cooling_off: bool = Field(
        True, description="Whether the cooling-off period before disbursement applies (353-FZ art. 7 part 9.3)"
    )
    targeted: bool = Field(False, description="A targeted loan (car, home): early repayment without notice for 30 days")
    holiday_amount_limit: PositiveMoney | None = Field(
        None, description="Largest loan for which credit holidays may be demanded (353-FZ art. 6.1-2); "
        "null: the programme offers none"
    )

    @field_validator("penalty_basis")
    @classmethod
    def _penalty_cap_of_the_basis(cls, value: PenaltyBasisName, info: ValidationInfo) -> PenaltyBasisName:
        rate = info.data.get("penalty_rate")
        cap = Decimal("0.1") if value is PenaltyBasisName.DAILY else Decimal(20)
        if rate is not None and rate > cap:
            raise ValueError(f"a {value.value} penalty may be at most {cap} % (353-FZ art. 5 part 21); "
                             f"penalty_rate is {rate}")
        return value

    # Cross-field rules are checked on the later field, so the error points at it
    # (#/max_amount), not at the whole body.
    @field_validator("max_amount")
    @classmethod
    def _amounts_ordered(cls, value: Decimal, info: ValidationInfo) -> Decimal:
        low = info.data.get("min_amount")
        if low is not None and low > value:
            raise ValueError(f"must be at least min_amount ({low})")
        return value

    @field_validator("max_term_months")
    @classmethod
    def _terms_ordered(cls, value: int, info: ValidationInfo) -> int:
        low = info.data.get("min_term_months")
        if low is not None and low > value:
            raise ValueError(f"must be at least min_term_months ({low})")
        return value

    @field_validator("max_age")
    @classmethod
    def _ages_ordered(cls, value: int, info: ValidationInfo) -> int:
        low = info.data.get("min_age")
        if low is not None and low > value:
            raise ValueError(f"must be at least min_age ({low})")
        return value

    @field_validator("rate_by_grade")
    @classmethod
    def _grades_on_the_master_scale(cls, value: dict[str, Decimal]) -> dict[str, Decimal]:
        unknown = sorted(set(value) - set(GRADES))
        if unknown:
            raise ValueError(f"grades {unknown} are not on the master scale ({', '.join(GRADES)})")
        return value

    @field_validator("pdn_limit")
    @classmethod
    def _pdn_limit_in_range(cls, value: Decimal) -> Decimal:
        if not Decimal(0) < value <= Decimal(2):
            raise ValueError("a PDN limit is a ratio above 0 and at most 2 (e.g. 0.5)")
        return value

    @field_validator("channels")
    @classmethod
    def _channels_once(cls, value: list[Channel]) -> list[Channel]:
        if len(set(value)) != len(value):
            raise ValueError("lists a channel twice")
        return value

    @field_validator("required_documents")
    @classmethod
    def _documents_once_with_passport(cls, value: list[DocumentType]) -> list[DocumentType]:
        if len(set(value)) != len(value):
            raise ValueError("lists a document twice")
        if DocumentType.PASSPORT not in value:
            raise ValueError("every programme requires a passport")
        return value

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
