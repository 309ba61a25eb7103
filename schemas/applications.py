"""Loan applications: what a branch or partner files, and what the service answers."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from schemas.managers import ManagerId
from schemas.money import Money, PdnRatio, PositiveMoney, RatePercent
from schemas.products import DocumentType, ProductCode
from schemas.text import Name, PlainText, Reason


class Housing(StrEnum):
    OWN = "own"
    RENT = "rent"
    FAMILY = "family"


class CreditHistory(StrEnum):
    NONE = "none"
    GOOD = "good"
    DELINQUENT = "delinquent"


class ApplicationStatus(StrEnum):
    DOCUMENTS_REQUIRED = "documents_required"
    APPROVED = "approved"
    DECLINED = "declined"
    REFERRED = "referred"
    CONTRACT_ISSUED = "contract_issued"
    SIGNED = "signed"
    DISBURSED = "disbursed"
    WITHDRAWN = "withdrawn"


class Purpose(StrEnum):
    CONSUMER = "consumer"
    CAR = "car"
    HOME = "home"
    EDUCATION = "education"
    BUSINESS = "business"
    OTHER = "other"


class IncomeSource(StrEnum):
    """How the income was confirmed (Ordinance 6579-U)."""

    DECLARED = "declared"
    EMPLOYER_STATEMENT = "employer_statement"
    TAX_DATA = "tax_data"
    PENSION_FUND_DATA = "pension_fund_data"


def _real_passport(value: str) -> str:
    digits = value.replace(" ", "")
    if digits[:4] == "0000" or digits[4:] == "000000":
        raise ValueError("no passport has an all-zero series or number")
    return value


class Borrower(BaseModel):
    model_config = ConfigDict(extra="forbid")

    full_name: Name = Field(min_length=3, max_length=200, examples=["Петров Иван Сергеевич"])
    birth_date: date = Field(examples=["1988-04-12"])
    passport_number: Annotated[str, AfterValidator(_real_passport)] = Field(
        pattern=r"^[0-9]{4} ?[0-9]{6}$",
        description="Russian passport: 4-digit series and 6-digit number (neither all zeros)",
        examples=["4510 123456"],
    )
    monthly_income: PositiveMoney
    monthly_debt_payments: Money
    employment_months: int = Field(ge=0, le=840)
    dependents: int = Field(ge=0, le=20)
    housing: Housing
    credit_history: CreditHistory
    phone: str = Field(pattern=r"^\+?\d{10,15}$", examples=["+79161234567"])
    existing_credits: int = Field(0, ge=0, le=50, description="Loans the borrower already has")
    income_source: IncomeSource = Field(
        IncomeSource.DECLARED, description="How monthly_income was confirmed (Ordinance 6579-U)"
    )


class DocumentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: DocumentType
    number: PlainText | None = Field(None, max_length=64, examples=["4510 123456"])
    issued_on: date = Field(examples=["2024-05-10"])


class Document(DocumentIn):
    id: int
    added_at: datetime


class ApplicationCreate(BaseModel):
    """A new application. Channel, branch and partner come from the caller's key."""

    model_config = ConfigDict(extra="forbid")

    product_code: ProductCode
    amount: PositiveMoney
    term_months: int = Field(ge=1, le=600)
    manager_id: ManagerId
    purpose: Purpose | None = None
    borrower: Borrower
    documents: list[DocumentIn] = Field(default_factory=list, max_length=20)


class Rating(BaseModel):
    score: int = Field(description="Scorecard points")
    pd: str = Field(description="Probability of default, a decimal string", examples=["0.0312"])
    grade: str = Field(examples=["B1"])
    reasons: list[str] = Field(description="Characteristics that cost the most points")
    scorecard_version: str


class PdnDetails(BaseModel):
    """What the PDN was made of (Ordinance 6579-U): payments over the income used."""

    new_payment: Money = Field(description="The new loan's average monthly payment")
    own_loans_payments: Money = Field(description="This bank's open loans to the same passport")
    own_loans: int = Field(description="How many such loans")
    declared_payments: Money = Field(description="Other obligations the borrower declared")
    income: Money = Field(description="The monthly income used")
    income_source: IncomeSource


class Decision(BaseModel):
    outcome: str = Field(examples=["approve"])
    reasons: list[str]
    policy_version: str
    annual_rate: RatePercent | None = None
    regular_payment: Money | None = None
    pdn: PdnRatio | None = None
    pdn_details: PdnDetails | None = None


class Application(BaseModel):
    id: int
    status: ApplicationStatus
    product_code: str
    amount: Money
    term_months: int
    manager_id: str
    channel: str
    branch_id: str | None
    partner_id: str | None
    purpose: str | None
    borrower: Borrower
    documents: list[Document]
    missing_documents: list[DocumentType]
    rating: Rating | None = None
    decision: Decision | None = None
    decision_reasons: list[str] | None = None
    loan_id: int | None = None
    created_at: datetime
    updated_at: datetime


class ApplicationPage(BaseModel):
    items: list[Application]
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the next page")


class Transition(BaseModel):
    from_status: ApplicationStatus | None
    to_status: ApplicationStatus
    actor: str
    role: str
    at: datetime
    reason: str | None


class RiskDecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Annotated[str, Field(pattern=r"^(approve|decline)$")]
    reason: Reason = Field(min_length=3, max_length=1000, description="Why, in words; kept in the history")


class WithdrawIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: PlainText | None = Field(None, max_length=1000)
