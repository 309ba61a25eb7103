"""Exact-money and rate types for the API: decimals in, decimal strings out."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, PlainSerializer

CENT = Decimal("0.01")
_as_string = PlainSerializer(lambda v: format(v.quantize(CENT), "f"), return_type=str, when_used="json")
# Rates and ratios drop the storage scale's trailing zeros: "27.9", not "27.9000".
_as_plain_string = PlainSerializer(lambda v: format(v.normalize(), "f"), return_type=str, when_used="json")


_MONEY_TEXT = re.compile(r"[0-9]+(\.[0-9]{1,2})?", re.ASCII)


def _money_text(value: Any) -> Any:
    """Money as text is plain ASCII digits with at most two places: "1000", "1000.50".

    Python's Decimal would also read "1_000", " 1000", "1e3" and digits of other scripts;
    a bank's amount field must not (a typo must not become a loan of another size).
    """
    if isinstance(value, bool):
        raise ValueError("money is a decimal string, not a boolean")
    if isinstance(value, str) and not _MONEY_TEXT.fullmatch(value):
        raise ValueError('money is a decimal string of ASCII digits with at most 2 places, e.g. "1000.50"')
    return value


_ascii_money = BeforeValidator(_money_text)


def _money_pattern(schema: dict[str, Any]) -> None:
    """The contract says what text a money string may be."""
    for branch in schema.get("anyOf", [schema]):
        if branch.get("type") == "string":
            branch["pattern"] = r"^[0-9]+(\.[0-9]{1,2})?$"


def _decimal(
    *, places: int, digits: int, upper: str, description: str, example: str, positive: bool = False,
    money: bool = False,
) -> Any:
    """A bounded decimal field: no NaN or infinity, no more places than the type keeps."""
    return Field(
        json_schema_extra=_money_pattern if money else None,
        gt=0 if positive else None,
        ge=None if positive else 0,
        le=Decimal(upper),
        max_digits=digits,
        decimal_places=places,
        description=description,
        examples=[example],
        allow_inf_nan=False,
    )


_MONEY = {"places": 2, "digits": 15, "upper": "1000000000000", "example": "500000.00", "money": True}

Money = Annotated[
    Decimal,
    _decimal(**_MONEY, description="Roubles, a decimal string with at most 2 decimal places"),
    _ascii_money,
    _as_string,
]
PositiveMoney = Annotated[
    Decimal,
    _decimal(**_MONEY, positive=True, description="Roubles, a positive decimal string with at most 2 decimal places"),
    _ascii_money,
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
# PDN as the service reports it: unbounded above (a borrower may declare an income far
# below the payment; the decision then says so), 4 places.
PdnRatio = Annotated[
    Decimal,
    Field(ge=0, decimal_places=4, allow_inf_nan=False, examples=["0.45"],
          description="Debt-load ratio (PDN): 0.45 means payments take 45 % of the income"),
    _as_plain_string,
]
