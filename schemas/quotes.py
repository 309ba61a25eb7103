"""Quotes: schedules, PSK, affordability, early repayment and ranked offers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from schemas.applications import Purpose
from schemas.money import Money, PositiveMoney, RatePercent, Ratio, _as_plain_string, _as_string
from schemas.products import Channel, ProductCode


class Method(StrEnum):
    ANNUITY = "annuity"
    DIFFERENTIATED = "differentiated"


class DayCount(StrEnum):
    THIRTY_360 = "30/360"
    ACTUAL_365 = "actual/365"


class EarlyRepaymentMode(StrEnum):
    REDUCE_TERM = "reduce_term"
    REDUCE_PAYMENT = "reduce_payment"


Psk = Annotated[
    str, Field(pattern=r"^\d+\.\d{3}$", description="PSK, percent a year, 3 decimals", examples=["21.742"])
]
Term = Annotated[int, Field(ge=1, le=600, description="Months", examples=[12])]

# What the maths answers can exceed what a request may send: the instalment of a 10^12 loan
# carries its interest, and the PDN of debts far above the income is far above 100. These
# response-only types are Money and Ratio without the request bounds (same description and
# serializer, so the served contract reads the same); MaxAmount used the bounded types and a
# valid request then failed its own response validation (500).
PaymentAmount = Annotated[
    Decimal,
    Field(description="Roubles, a decimal string with at most 2 decimal places", examples=["500000.00"]),
    _as_string,
]
PdnRatio = Annotated[
    Decimal,
    Field(description="A ratio such as PDN: 0.5 means payments take half the income", examples=["0.5"]),
    _as_plain_string,
]


class QuoteRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "amount": "500000.00",
                    "annual_rate": "27.9",
                    "term_months": 24,
                    "method": "annuity",
                    "issue_date": "2026-11-23",
                    "day_count": "30/360",
                }
            ]
        },
    )

    amount: PositiveMoney
    annual_rate: RatePercent
    term_months: Term
    method: Method = Method.ANNUITY
    issue_date: dt.date | None = Field(None, description="Defaults to today (UTC)")
    day_count: DayCount = DayCount.THIRTY_360
    upfront_fee: Money = Field(default=0, description="Paid at issue")  # type: ignore[assignment]
    monthly_fee: Money = Field(default=0, description="Added to every payment")  # type: ignore[assignment]
    grace_months: int = Field(0, ge=0, le=599, description="Interest-only months at the start")

    @model_validator(mode="after")
    def _grace_within_term(self) -> QuoteRequest:
        if self.grace_months >= self.term_months:
            raise ValueError("grace_months must be less than term_months")
        if self.upfront_fee >= self.amount:
            raise ValueError("upfront_fee must be less than the amount")
        return self


class ScheduleRow(BaseModel):
    number: int
    date: dt.date
    principal: Money
    interest: Money
    fee: Money
    payment: Money
    balance: Money


class Quote(BaseModel):
    regular_payment: Money | None = Field(
        description="The instalment incl. monthly fee; null if differentiated"
    )
    payments: list[ScheduleRow]
    total_interest: Money
    total_payments: Money
    psk_percent: Psk
    psk_amount: Money


class MaxAmountRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    monthly_income: PositiveMoney
    monthly_debt_payments: Money
    annual_rate: RatePercent | None = Field(None, description="Required unless product_code is given")
    term_months: Term
    pdn_limit: Ratio | None = Field(None, description="Defaults to the product's PDN limit")
    product_code: ProductCode | None = Field(
        None, description="Clamp to the product's limits and use its rate"
    )

    @model_validator(mode="after")
    def _rate_or_product(self) -> MaxAmountRequest:
        if self.product_code is None and (self.annual_rate is None or self.pdn_limit is None):
            raise ValueError("give annual_rate and pdn_limit, or a product_code")
        return self


class MaxAmount(BaseModel):
    max_amount: Money
    regular_payment: PaymentAmount
    pdn: PdnRatio
    annual_rate: RatePercent


class EarlyRepaymentRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    terms: QuoteRequest
    date: dt.date
    amount: PositiveMoney
    mode: EarlyRepaymentMode = EarlyRepaymentMode.REDUCE_TERM


class OfferBorrower(BaseModel):
    model_config = ConfigDict(extra="forbid")

    birth_date: dt.date
    monthly_income: PositiveMoney
    monthly_debt_payments: Money


class OfferWish(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: PositiveMoney
    term_months: Term
    purpose: Purpose | None = None


class OfferRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    borrower: OfferBorrower
    wish: OfferWish
    channel: Channel | None = Field(
        None, description="Ignored for branch and partner keys (their channel is their own)"
    )


class Offer(BaseModel):
    product_code: str
    name: str
    eligible: bool
    reasons: list[str] = Field(description="Why the programme is not available, if it is not")
    amount: Money
    term_months: int
    annual_rate: RatePercent
    regular_payment: Money | None
    psk_percent: Psk | None
    psk_limit_percent: str | None = Field(
        None, description="The PSK limit in force for the programme's category (353-FZ art. 6 part 11); "
        "null when no table covers the quarter"
    )
    pdn: Ratio | None
