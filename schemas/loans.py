"""Loans in servicing: schedule, payments, delinquency and reminders."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from schemas.money import Money, PositiveMoney, RatePercent


class LoanStatus(StrEnum):
    ACTIVE = "active"
    PROBLEM = "problem"
    CLOSED = "closed"


class Bucket(StrEnum):
    CURRENT = "current"
    D1_30 = "1-30"
    D31_60 = "31-60"
    D61_90 = "61-90"
    D90_PLUS = "90+"


class InstalmentView(BaseModel):
    number: int
    due_date: dt.date
    principal: Money
    interest: Money
    fee: Money
    payment: Money
    paid: Money
    status: str = Field(examples=["paid"], description="paid, partly_paid, overdue, due or future")


class Loan(BaseModel):
    id: int
    application_id: int
    product_code: str
    manager_id: str
    channel: str
    branch_id: str | None
    partner_id: str | None
    amount: Money
    annual_rate: RatePercent
    term_months: int
    issue_date: dt.date
    psk_percent: str
    pd_at_issue: float
    grade_at_issue: str
    as_of: dt.date
    status: LoanStatus
    days_past_due: int
    bucket: Bucket
    paid_total: Money
    paid_principal: Money
    paid_interest: Money
    outstanding_principal: Money
    overdue_total: Money
    next_due_date: dt.date | None
    next_due_amount: Money | None
    first_payment_default: bool
    schedule: list[InstalmentView]


class LoanSummary(BaseModel):
    id: int
    application_id: int
    product_code: str
    manager_id: str
    amount: Money
    issue_date: dt.date
    status: LoanStatus
    days_past_due: int
    bucket: Bucket
    outstanding_principal: Money


class LoanPage(BaseModel):
    items: list[LoanSummary]
    next_cursor: str | None = None


class PaymentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: PositiveMoney
    paid_on: dt.date


class Reminder(BaseModel):
    loan_id: int
    due_date: dt.date
    amount: Money
    borrower_name: str
    phone: str
    manager_id: str
