"""Loans in servicing: schedule, payments, delinquency and reminders."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from schemas.money import Money, PositiveMoney, RatePercent
from schemas.quotes import EarlyRepaymentMode


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


class Allocation(BaseModel):
    """Where every rouble of one payment went, in the legal order (353-FZ art. 5 part 20)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "overdue_interest": "2038.36", "overdue_principal": "0.00", "interest": "0.00", "principal": "0.00",
        "penalty": "0.00", "fees": "0.00", "early_interest": "0.00", "early_principal": "0.00",
        "advance": "0.00"}]})

    overdue_interest: Money
    overdue_principal: Money
    interest: Money
    principal: Money
    penalty: Money
    fees: Money
    early_interest: Money = Field(description="Interest to the day of an early repayment")
    early_principal: Money = Field(description="Principal repaid early on the borrower's application")
    advance: Money = Field(description="Still held on the loan: pays the next instalments on their due dates")


class PaymentView(BaseModel):
    id: int
    paid_on: dt.date
    amount: Money
    received_at: dt.datetime
    allocation: Allocation


class PaymentList(BaseModel):
    items: list[PaymentView]
    received_total: Money
    advance: Money


class HolidayView(BaseModel):
    id: int
    start: dt.date = Field(serialization_alias="from")
    months: int
    applied_on: dt.date


class EarlyRepaymentView(BaseModel):
    id: int
    applied_on: dt.date
    on: dt.date
    requested: Money | None = Field(description="The amount applied for; null: repay in full")
    mode: str
    status: str = Field(examples=["executed"], description="pending, executed or not_executed (nothing to apply)")
    note: str | None = Field(None, description="Why an application applied nothing, or what it did")
    interest: Money
    principal: Money
    closed: bool
    revision: int | None


class RevisionView(BaseModel):
    number: int
    on: dt.date
    reason: str = Field(examples=["early_repayment"], description="contract, early_repayment or holiday")
    balance: Money
    psk_percent: str | None


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
    day_count: str
    overdue_principal: Money
    overdue_interest: Money
    paid_fee: Money
    paid_penalty: Money
    received_total: Money = Field(description="Every rouble received: the paid parts plus the advance")
    advance: Money = Field(description="Cash held on the loan beyond what is due (pays the next instalments)")
    accrued_interest: Money = Field(description="Interest accrued to the end of as_of, not yet due")
    penalty_outstanding: Money
    penalty_rate: RatePercent
    penalty_basis: str
    closed_on: dt.date | None
    revisions: list[RevisionView]
    early_repayments: list[EarlyRepaymentView]
    holidays: list[HolidayView]


class LoanAfterPayment(Loan):
    payment: PaymentView = Field(description="The payment just recorded and its allocation")


class Payoff(BaseModel):
    """Exactly what closes the loan at the end of ``on``."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "on": "2025-03-08", "principal": "100000.00", "interest": "328.77", "penalty": "0.00", "fees": "0.00",
        "total": "100328.77", "advance": "0.00", "to_pay": "100328.77"}]})

    on: dt.date
    principal: Money
    interest: Money
    penalty: Money
    fees: Money
    total: Money
    advance: Money = Field(description="Already held on the loan")
    to_pay: Money = Field(description="What the borrower still brings: total - advance")


class EarlyRepaymentIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [
            {"on": "2027-01-20", "amount": "30000.00", "mode": "reduce_payment"},
            {"on": "2026-12-08"},
        ]},
    )

    on: dt.date
    amount: PositiveMoney | None = Field(None, description="Omitted: full repayment")
    mode: EarlyRepaymentMode = EarlyRepaymentMode.REDUCE_TERM


class EarlyRepaymentOut(BaseModel):
    early_repayment: EarlyRepaymentView = Field(
        description="The application; while pending, its figures are the projection of its date"
    )
    payoff: Payoff = Field(description="What closes the loan on the application's date")
    loan: Loan = Field(description="The loan as it stands at the end of the application's date: the new "
                       "schedule (a new revision with its PSK) or closed")


class HolidayIn(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True,
                              json_schema_extra={"examples": [{"from": "2027-02-01", "months": 3}]})

    start: dt.date = Field(alias="from", description="First day of the holiday")
    months: int = Field(ge=1, le=6, description="Up to 6 months (353-FZ art. 6.1-2)")


class BusinessDate(BaseModel):
    business_date: dt.date
    closed_through: dt.date | None = Field(description="The last date the close of business completed")


class LoanSummary(BaseModel):
    id: int
    application_id: int
    product_code: str
    manager_id: str
    branch_id: str | None = None
    partner_id: str | None = None
    amount: Money
    issue_date: dt.date
    status: LoanStatus
    days_past_due: int
    bucket: Bucket
    outstanding_principal: Money
    overdue_total: Money = Decimal("0.00")
    next_due_date: dt.date | None = None
    next_due_amount: Money | None = None
    state_date: dt.date | None = Field(None, description="The date the figures are as of")


class LoanPage(BaseModel):
    items: list[LoanSummary]
    next_cursor: str | None = None


class PaymentIn(BaseModel):
    model_config = ConfigDict(extra="forbid",
                              json_schema_extra={"examples": [{"amount": "11574.85", "paid_on": "2027-01-03"}]})

    amount: PositiveMoney
    paid_on: dt.date


class ReminderPage(BaseModel):
    items: list[Reminder]
    next_cursor: str | None = None


class Reminder(BaseModel):
    loan_id: int
    due_date: dt.date
    amount: Money
    borrower_name: str
    phone: str
    manager_id: str
