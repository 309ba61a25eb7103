"""Which PSK category each programme's loans fall in, and the day count of its contracts.

The catalogue's own table is another team's; this versioned map sits beside the limit
tables so that a programme without an entry still prices by the shipped default.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from app.loanmath import DayCount


@dataclass(frozen=True, slots=True)
class ProductPricing:
    purpose: str
    secured: bool
    day_count: DayCount


@lru_cache
def _map() -> dict[str, Any]:
    text = resources.files("app.pricing").joinpath("data/products.json").read_text(encoding="utf-8")
    return json.loads(text)  # type: ignore[no-any-return]


def version() -> str:
    return str(_map()["version"])


def pricing_of(product_code: str) -> ProductPricing:
    data = _map()
    entry = data["products"].get(product_code, data["default"])
    return ProductPricing(
        purpose=str(entry["purpose"]), secured=bool(entry["secured"]), day_count=DayCount(entry["day_count"])
    )
