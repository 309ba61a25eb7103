"""A quarter's issued loans by PDN band against macroprudential limits (plain values).

The Bank of Russia limits, per quarter, the share of new consumer loans to borrowers with
a PDN of 0.5-0.8 and above 0.8 (macroprudential limits, Federal Law 86-FZ art. 45.6). The
limits are versioned data like the PSK tables; a null limit means none is configured.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from importlib import resources
from typing import Any

BANDS = ("up_to_0.5", "0.5-0.8", "above_0.8")
_LABELS = {"up_to_0.5": "up to 0.5", "0.5-0.8": "0.5-0.8", "above_0.8": "above 0.8"}
_SHARE = Decimal("0.0001")


def band_of(pdn: Decimal) -> str:
    """Up to 0.5 inclusive; above 0.5 up to 0.8 inclusive; above 0.8."""
    if pdn <= Decimal("0.5"):
        return "up_to_0.5"
    return "0.5-0.8" if pdn <= Decimal("0.8") else "above_0.8"


@dataclass(frozen=True, slots=True)
class IssuedLoan:
    product_code: str
    amount: Decimal
    pdn: Decimal


def limits_for(quarter: str) -> tuple[str, dict[str, Decimal | None]]:
    """The shipped limits of ``quarter`` (version, band -> share), all null when none shipped."""
    name = f"data/pdn-limits-{quarter}.json"
    path = resources.files("app.pricing").joinpath(name)
    if not path.is_file():
        return "none", dict.fromkeys(BANDS)
    data = json.loads(path.read_text(encoding="utf-8"))
    raw = data["limits"]
    return str(data["version"]), {b: None if raw[b] is None else Decimal(str(raw[b])) for b in BANDS}


def _share(part: Decimal, whole: Decimal) -> Decimal:
    return (part / whole).quantize(_SHARE, ROUND_HALF_UP) if whole else Decimal(0)


def _bands(loans: list[IssuedLoan], limits: Mapping[str, Decimal | None]) -> list[dict[str, Any]]:
    total_n = len(loans)
    total_v = sum((x.amount for x in loans), Decimal(0))
    out = []
    for band in BANDS:
        mine = [x for x in loans if band_of(x.pdn) == band]
        volume = sum((x.amount for x in mine), Decimal(0))
        limit = limits.get(band)
        volume_share = _share(volume, total_v)
        out.append({
            "band": _LABELS[band], "count": len(mine), "volume": volume,
            "count_share": format(_share(Decimal(len(mine)), Decimal(total_n)), "f"),
            "volume_share": format(volume_share, "f"),
            "limit_share": None if limit is None else format(limit, "f"),
            "above_limit": limit is not None and volume_share > limit,
        })
    return out


def shares(quarter: str, loans: Iterable[IssuedLoan]) -> dict[str, Any]:
    """The quarter's totals and bands, overall and by product."""
    version, limits = limits_for(quarter)
    every = list(loans)
    products = sorted({x.product_code for x in every})
    return {
        "quarter": quarter,
        "limits_version": version,
        "count": len(every),
        "volume": sum((x.amount for x in every), Decimal(0)),
        "bands": _bands(every, limits),
        "products": [
            {
                "product_code": code,
                "count": len(mine := [x for x in every if x.product_code == code]),
                "volume": sum((x.amount for x in mine), Decimal(0)),
                "bands": _bands(mine, limits),
            }
            for code in products
        ],
    }
