"""Loans, their contractual schedules and the payments received."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.clock import utcnow
from app.core.columns import MONEY, RATE, UTCDateTime


class LoanRow(SQLModel, table=True):
    __tablename__ = "loan"

    id: int | None = Field(default=None, primary_key=True)
    # Unique: one application can never become two loans, whatever the concurrency.
    application_id: int = Field(foreign_key="application.id", unique=True)
    product_code: str = Field(foreign_key="product.code", max_length=40)
    manager_id: str = Field(foreign_key="manager.id", max_length=64, index=True)
    channel: str = Field(max_length=10)
    branch_id: str | None = Field(default=None, max_length=64, index=True)
    partner_id: str | None = Field(default=None, max_length=64, index=True)
    amount: Decimal = Field(sa_column=Column(MONEY, nullable=False))
    annual_rate: Decimal = Field(sa_column=Column(RATE, nullable=False))
    term_months: int
    method: str = Field(max_length=16)
    day_count: str = Field(max_length=12)
    issue_date: date = Field(index=True)
    pd_at_issue: float
    grade_at_issue: str = Field(max_length=8)
    psk_percent: Decimal = Field(sa_column=Column(RATE, nullable=False))
    # Servicing state as of the last payment, kept for SQL aggregation; as_of queries recompute.
    status: str = Field(default="active", max_length=10, index=True)
    closed_on: date | None = None
    first_payment_default: bool = False
    # First instalment's due date + 30 days: a plain column so SQL can test first-payment
    # default as of any date without dialect-specific date arithmetic.
    fpd_deadline: date = Field(index=True)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class LoanInstalmentRow(SQLModel, table=True):
    __tablename__ = "loan_instalment"
    __table_args__ = (UniqueConstraint("loan_id", "revision", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    loan_id: int = Field(foreign_key="loan.id", index=True)
    revision: int = Field(default=0, description="0 the contract; +1 per early repayment")
    number: int
    due_date: date
    principal: Decimal = Field(sa_column=Column(MONEY, nullable=False))
    interest: Decimal = Field(sa_column=Column(MONEY, nullable=False))
    fee: Decimal = Field(sa_column=Column(MONEY, nullable=False))


class LoanPaymentRow(SQLModel, table=True):
    __tablename__ = "loan_payment"

    id: int | None = Field(default=None, primary_key=True)
    loan_id: int = Field(foreign_key="loan.id", index=True)
    amount: Decimal = Field(sa_column=Column(MONEY, nullable=False))
    paid_on: date
    received_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
