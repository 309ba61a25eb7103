"""The PSK limit rule (353-FZ art. 6 part 11) and the tables' checks, as plain values."""

from __future__ import annotations

import copy
import json
from datetime import date
from decimal import Decimal
from importlib import resources
from typing import Any

import pytest

from app.pricing.limits import (
    ABSOLUTE_CAP_PERCENT,
    LimitTableError,
    expected_limit,
    limit_for,
    parse_table,
    quarter_bounds,
    quarter_of,
)


def shipped() -> dict[str, Any]:
    text = resources.files("app.pricing").joinpath("data/psk-limits-2025Q3.json").read_text(encoding="utf-8")
    return json.loads(text)  # type: ignore[no-any-return]


# Each published row's limit, by hand: average x 4/3, to 3 places half up.
#   26.699 x 4/3 = 35.598666.. -> 35.599      28.230 x 4/3 = 37.640
#   48.245 x 4/3 = 64.326666.. -> 64.327      48.951 x 4/3 = 65.268
#   44.514 x 4/3 = 59.352                     44.612 x 4/3 = 59.482666.. -> 59.483
@pytest.mark.parametrize(("average", "limit"), [
    ("26.699", "35.599"), ("28.230", "37.640"), ("48.245", "64.327"),
    ("48.951", "65.268"), ("44.514", "59.352"), ("44.612", "59.483"),
])
def test_the_published_limits_are_the_average_plus_one_third(average: str, limit: str) -> None:
    assert expected_limit(Decimal(average)) == Decimal(limit)


def test_the_absolute_cap_binds_above_an_average_of_219() -> None:
    # 219 x 4/3 = 292 exactly; 250 x 4/3 = 333.333 is capped at 292
    assert expected_limit(Decimal("219")) == Decimal("292.000")
    assert expected_limit(Decimal("250")) == ABSOLUTE_CAP_PERCENT


def test_the_shipped_table_loads_and_says_what_is_missing() -> None:
    table = parse_table(shipped())
    assert table.quarter == "2025Q3" and table.valid_from == date(2025, 7, 1) and table.valid_to == date(2025, 9, 30)
    assert [r.category for r in table.rows] == ["1.1", "1.2", "2.1.1", "2.1.2", "2.2.1", "2.2.2"]
    assert "garant.ru" in table.source["url"] and table.missing


def test_an_inconsistent_limit_is_refused_with_a_pointer() -> None:
    data = shipped()
    data["rows"][0]["limit_percent"] = "35.600"
    with pytest.raises(LimitTableError) as err:
        parse_table(data)
    assert err.value.pointer == "#/rows/0/limit_percent" and "35.599" in str(err.value)


def test_overlapping_categories_are_refused() -> None:
    data = shipped()
    extra = copy.deepcopy(data["rows"][2]) | {"category": "9.9", "title": "другая категория"}
    data["rows"].append(extra)
    with pytest.raises(LimitTableError, match=r"overlaps category 2\.1\.1"):
        parse_table(data)
    data["rows"][-1]["amount_max"] = None
    data["rows"][-1]["amount_min"] = "300000"  # no longer overlapping 2.1.x (up to 100,000) ...
    data["rows"][-1]["purpose"] = "pos"  # ... nor 2.2.x (another purpose)
    assert len(parse_table(data).rows) == 7


@pytest.mark.parametrize(("field", "value", "pointer"), [
    ("quarter", "2025-3", "#/quarter"),
    ("valid_from", "2025-07-02", "#/valid_from"),
    ("rows", [], "#/rows"),
    ("source", {"title": "x"}, "#/source"),
    ("valid_from", None, "#/valid_from"),
])
def test_a_malformed_table_names_the_field(field: str, value: Any, pointer: str) -> None:
    data = shipped() | {field: value}
    with pytest.raises(LimitTableError) as err:
        parse_table(data)
    assert err.value.pointer == pointer


def test_a_loan_gets_the_strictest_row_of_its_category() -> None:
    table = parse_table(shipped())
    car = limit_for(table, purpose="car", secured=True, amount=Decimal("1500000"), term_days=1826)
    assert car is not None and (car.category, car.limit_percent) == ("1.1", Decimal("35.599"))
    small_card = limit_for(table, purpose="card", secured=False, amount=Decimal("50000"), term_days=365)
    assert small_card is not None and small_card.category == "2.1.1"
    # 100,000 is "до 100 тыс." (inclusive); a kopeck more is "свыше 100 тыс."
    at_edge = limit_for(table, purpose="card", secured=False, amount=Decimal("100000"), term_days=365)
    above = limit_for(table, purpose="card", secured=False, amount=Decimal("100000.01"), term_days=365)
    assert at_edge is not None and above is not None and (at_edge.category, above.category) == ("2.1.1", "2.2.1")
    assert limit_for(table, purpose="non_targeted", secured=False, amount=Decimal("300000"), term_days=730) is None


def test_quarters() -> None:
    assert quarter_of(date(2027, 3, 31)) == "2027Q1" and quarter_of(date(2026, 12, 3)) == "2026Q4"
    assert quarter_bounds("2024Q1") == (date(2024, 1, 1), date(2024, 3, 31))
    with pytest.raises(ValueError):
        quarter_bounds("2027Q5")
