"""The credit agreement as data: the individual terms of Ordinance 3240-U, PSK, schedule."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from schemas.money import Money


class IndividualTerm(BaseModel):
    item: str = Field(description="The row's number in the Ordinance's table", examples=["5.1"])
    title: str = Field(description="The condition as the Ordinance words it")
    value: str = Field(description='The term agreed; "Отсутствует" or "Не применимо" where it does not apply')


class ContractParty(BaseModel):
    name: str
    details: str


class ContractPayment(BaseModel):
    number: int
    date: date
    principal: Money
    interest: Money
    fee: Money
    payment: Money
    balance: Money


class PskLimitApplied(BaseModel):
    quarter: str
    category: str
    title: str
    average_percent: str
    limit_percent: str


class Contract(BaseModel):
    application_id: int
    status: str = Field(description="The application's status after the call")
    number: str = Field(examples=["КД-000042"])
    date: date
    lender: ContractParty
    borrower: ContractParty
    amount: Money
    term_months: int
    annual_rate: str
    method: str
    day_count: str
    regular_payment: Money | None
    total_payments: Money
    psk_percent: str = Field(pattern=r"^\d+\.\d{3}$", description="PSK, percent a year, 3 decimals")
    psk_amount: Money = Field(description="PSK in roubles: everything paid above the amount")
    psk_limit: PskLimitApplied | None = Field(
        description="The limit checked on the contract date (null: no table loaded for the quarter)"
    )
    pdn: str | None
    pdn_warning: str | None = Field(
        description="The written warning of 353-FZ art. 5.1 when the PDN is above 0.5"
    )
    individual_terms: list[IndividualTerm]
    payments: list[ContractPayment]
    issued_at: datetime
    signed_at: datetime | None = None
    pdn_warning_acknowledged: bool | None = None


class SignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    pdn_warning_acknowledged: bool = Field(
        False, description="The borrower has read the PDN warning; required when the PDN is above 0.5"
    )
