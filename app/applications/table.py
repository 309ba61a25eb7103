"""Applications, their documents and their history."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from app.core.clock import utcnow
from app.core.columns import MONEY, RATE, UTCDateTime


def _ts(**kw: Any) -> Any:
    return Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False, **kw))


class ApplicationRow(SQLModel, table=True):
    __tablename__ = "application"
    __table_args__ = (
        Index("ix_application_scope_created", "branch_id", "partner_id", "created_at"),
        Index("ix_application_passport_created", "passport_number", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    version: int = 1
    status: str = Field(max_length=24, index=True)
    product_code: str = Field(foreign_key="product.code", max_length=40)
    amount: Decimal = Field(sa_column=Column(MONEY, nullable=False))
    term_months: int
    purpose: str | None = Field(default=None, max_length=20)
    manager_id: str = Field(foreign_key="manager.id", max_length=64, index=True)
    channel: str = Field(max_length=10)
    branch_id: str | None = Field(default=None, max_length=64)
    partner_id: str | None = Field(default=None, max_length=64)
    created_by_key: int = Field(foreign_key="api_key.id")
    # Borrower (personal data: never logged)
    full_name: str = Field(max_length=200)
    birth_date: date
    passport_number: str = Field(max_length=10)
    phone: str = Field(max_length=16)
    monthly_income: Decimal = Field(sa_column=Column(MONEY, nullable=False))
    monthly_debt_payments: Decimal = Field(sa_column=Column(MONEY, nullable=False))
    employment_months: int
    dependents: int
    housing: str = Field(max_length=10)
    credit_history: str = Field(max_length=12)
    existing_credits: int = 0
    # How the income was confirmed (Ordinance 6579-U): declared, employer_statement, tax_data, pension_fund_data
    income_source: str = Field(default="declared", max_length=24)
    missing_documents: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # Rating and decision, set when the documents are complete
    score: int | None = None
    pd: str | None = Field(default=None, max_length=24)
    grade: str | None = Field(default=None, max_length=8)
    rating_reasons: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    scorecard_version: str | None = Field(default=None, max_length=64)
    decision: str | None = Field(default=None, max_length=10)
    decision_reasons: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    policy_version: str | None = Field(default=None, max_length=64)
    annual_rate: Decimal | None = Field(default=None, sa_column=Column(RATE, nullable=True))
    regular_payment: Decimal | None = Field(default=None, sa_column=Column(MONEY, nullable=True))
    pdn: Decimal | None = Field(default=None, sa_column=Column(RATE, nullable=True))
    # What the PDN was made of: the new payment, this bank's own open loans, the declared debts, the income
    pdn_details: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    contract: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    # Set at disbursement (the loan row holds the authoritative unique link back), so
    # reading an application never reaches into the loan book.
    loan_id: int | None = None
    created_at: datetime = _ts(index=True)
    updated_at: datetime = _ts()


class ApplicationDocumentRow(SQLModel, table=True):
    __tablename__ = "application_document"

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="application.id", index=True)
    type: str = Field(max_length=40)
    number: str | None = Field(default=None, max_length=64)
    issued_on: date
    added_at: datetime = _ts()


class ApplicationEventRow(SQLModel, table=True):
    __tablename__ = "application_event"

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="application.id", index=True)
    from_status: str | None = Field(default=None, max_length=24)
    to_status: str = Field(max_length=24)
    actor: str = Field(max_length=200)
    role: str = Field(max_length=20)
    reason: str | None = Field(default=None, max_length=1000)
    at: datetime = _ts()
