"""Exact-money and rate types for the API: decimals in, decimal strings out."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import Field, PlainSerializer

CENT = Decimal("0.01")
_as_string = PlainSerializer(lambda v: format(v.quantize(CENT), "f"), return_type=str, when_used="json")
# Rates and ratios drop the storage scale's trailing zeros: "27.9", not "27.9000".
_as_plain_string = PlainSerializer(lambda v: format(v.normalize(), "f"), return_type=str, when_used="json")


def _decimal(*, places: int, digits: int, upper: str, description: str, example: str, positive: bool = False) -> Any:
    """A bounded decimal field: no NaN or infinity, no more places than the type keeps."""
    return Field(
        gt=0 if positive else None,
        ge=None if positive else 0,
        le=Decimal(upper),
        max_digits=digits,
        decimal_places=places,
        description=description,
        examples=[example],
        allow_inf_nan=False,
    )


_MONEY = {"places": 2, "digits": 15, "upper": "1000000000000", "example": "500000.00"}

Money = Annotated[
    Decimal, _decimal(**_MONEY, description="Roubles, a decimal string with at most 2 decimal places"), _as_string
]
PositiveMoney = Annotated[
    Decimal,
    _decimal(**_MONEY, positive=True, description="Roubles, a positive decimal string with at most 2 decimal places"),
    _as_string,
]
RatePercent = Annotated[
    Decimal,
    _decimal(places=4, digits=8, upper="100", example="18.9",
             description='Annual rate in percent, e.g. "18.9" for 18.9 % a year'),
    _as_plain_string,
]
Ratio = Annotated[
    Decimal,
    _decimal(places=4, digits=10, upper="100", example="0.5",
             description="A ratio such as PDN: 0.5 means payments take half the income"),
    _as_plain_string,
]
