"""Exact-money and rate types for the API: decimals in, decimal strings out."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import Field, PlainSerializer

CENT = Decimal("0.01")
_as_string = PlainSerializer(lambda v: format(v.quantize(CENT), "f"), return_type=str, when_used="json")
# Rates and ratios drop the storage scale's trailing zeros: "27.9", not "27.9000".
_as_plain_string = PlainSerializer(
    lambda v: format(v.normalize(), "f"),
    return_type=str,
    when_used="json",
)

Money = Annotated[
    Decimal,
    Field(
        ge=0,
        le=Decimal("1000000000000"),
        max_digits=15,
        decimal_places=2,
        description="Roubles, a decimal string with at most 2 decimal places",
        examples=["500000.00"],
        allow_inf_nan=False,
    ),
    _as_string,
]
PositiveMoney = Annotated[
    Decimal,
    Field(
        gt=0,
        le=Decimal("1000000000000"),
        max_digits=15,
        decimal_places=2,
        description="Roubles, a positive decimal string with at most 2 decimal places",
        examples=["500000.00"],
        allow_inf_nan=False,
    ),
    _as_string,
]
RatePercent = Annotated[
    Decimal,
    Field(
        ge=0,
        le=Decimal("100"),
        max_digits=8,
        decimal_places=4,
        description='Annual rate in percent, e.g. "18.9" for 18.9 % a year',
        examples=["18.9"],
        allow_inf_nan=False,
    ),
    _as_plain_string,
]
Ratio = Annotated[
    Decimal,
    Field(
        ge=0,
        le=Decimal("100"),
        max_digits=10,
        decimal_places=4,
        description="A ratio such as PDN: 0.5 means payments take half the income",
        examples=["0.5"],
        allow_inf_nan=False,
    ),
    _as_plain_string,
]
