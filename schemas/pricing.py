"""PSK limit tables (353-FZ art. 6 part 11) and PDN shares as the API shows them."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from schemas.money import Money

DecimalText = str


class PskLimitRow(BaseModel):
    category: str = Field(description="Row number in the Bank of Russia's table", examples=["1.1"])
    title: str = Field(description="The category as the Bank of Russia names it")
    purpose: str = Field(examples=["car"])
    secured: bool | None = Field(description="null: the category does not depend on security")
    amount_min: str | None = Field(description="Roubles, exclusive; null: no lower bound")
    amount_max: str | None = Field(description="Roubles, inclusive; null: no upper bound")
    term_days_min: int | None
    term_days_max: int | None
    average_percent: str = Field(description="Average market PSK, percent a year", examples=["26.699"])
    limit_percent: str = Field(
        description="The lesser of the average plus one third and 292 %", examples=["35.599"]
    )


class PskLimitSource(BaseModel):
    title: str
    url: str
    retrieved: str | None = None
    note: str | None = None


class PskLimitTable(BaseModel):
    quarter: str = Field(examples=["2025Q3"])
    version: int = Field(description="A quarter loaded again gets the next version; the highest is in force")
    valid_from: date
    valid_to: date
    lender_type: str = Field(examples=["credit_organisation"])
    source: PskLimitSource
    missing: list[str] = Field(description="Categories of the publication this table does not hold")
    rows: list[PskLimitRow]


class PdnBand(BaseModel):
    band: str = Field(examples=["0.5-0.8"], description="up to 0.5, 0.5-0.8 or above 0.8")
    count: int
    volume: Money
    count_share: str = Field(description="Share of the loans by count, 4 places", examples=["0.1250"])
    volume_share: str = Field(description="Share of the volume, 4 places", examples=["0.1000"])
    limit_share: str | None = Field(
        description="The macroprudential limit on the volume share (null: none configured)"
    )
    above_limit: bool


class PdnProductShares(BaseModel):
    product_code: str
    count: int
    volume: Money
    bands: list[PdnBand]


class PdnShares(BaseModel):
    quarter: str = Field(examples=["2027Q1"])
    limits_version: str
    count: int
    volume: Money
    bands: list[PdnBand]
    products: list[PdnProductShares]
