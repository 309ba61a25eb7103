"""The PSK limit of 353-FZ art. 6 part 11, as plain values: tables, their checks, the look-up.

The law: when a consumer credit agreement is concluded its PSK in percent a year may not
exceed the lesser of 292 % and the Bank of Russia's average market PSK for the loan's
category, in force in that calendar quarter, raised by one third. The Bank of Russia
publishes the averages each quarter (for credit organisations separately); a table here is
one such publication: its quarter, its source and its rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

#: The absolute cap of art. 6 part 11 since 1 July 2023 (365 % before).
ABSOLUTE_CAP_PERCENT = Decimal("292")
_PLACES = Decimal("0.001")
_THIRD = Decimal(4) / Decimal(3)
_PURPOSES = frozenset({"car", "card", "pos", "refinancing", "non_targeted", "secured_other", "mortgage"})


class LimitTableError(ValueError):
    """A table that cannot be loaded; ``pointer`` says where in the file (RFC 6901)."""

    def __init__(self, message: str, pointer: str) -> None:
        super().__init__(message)
        self.pointer = pointer


@dataclass(frozen=True, slots=True)
class LimitRow:
    """One category: who it covers (purpose, security, amount, term) and its PSK values."""

    category: str
    title: str
    purpose: str
    secured: bool | None
    amount_min: Decimal | None
    amount_max: Decimal | None
    term_days_min: int | None
    term_days_max: int | None
    average_percent: Decimal
    limit_percent: Decimal

    def covers(self, *, amount: Decimal, term_days: int) -> bool:
        return (
            (self.amount_min is None or amount > self.amount_min)
            and (self.amount_max is None or amount <= self.amount_max)
            and (self.term_days_min is None or term_days > self.term_days_min)
            and (self.term_days_max is None or term_days <= self.term_days_max)
        )


@dataclass(frozen=True, slots=True)
class LimitTable:
    """One quarter's publication: the rows in force from ``valid_from`` to ``valid_to``."""

    quarter: str
    valid_from: date
    valid_to: date
    lender_type: str
    source: dict[str, str]
    rows: tuple[LimitRow, ...]
    missing: tuple[str, ...] = ()

    def row(self, category: str) -> LimitRow | None:
        return next((r for r in self.rows if r.category == category), None)


def expected_limit(average: Decimal) -> Decimal:
    """The lesser of the average plus one third (3 places, half up) and the absolute cap."""
    return min((average * _THIRD).quantize(_PLACES, rounding=ROUND_HALF_UP), ABSOLUTE_CAP_PERCENT)


def quarter_of(day: date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def quarter_bounds(quarter: str) -> tuple[date, date]:
    """``2027Q1`` -> (2027-01-01, 2027-03-31); ValueError for anything else."""
    year, sep, q = quarter.partition("Q")
    if not sep or not year.isdigit() or len(year) != 4 or q not in {"1", "2", "3", "4"}:
        raise ValueError(f"{quarter!r} is not a quarter such as 2027Q1")
    first_month = 3 * (int(q) - 1) + 1
    start = date(int(year), first_month, 1)
    end = date(int(year) + 1, 1, 1) if q == "4" else date(int(year), first_month + 3, 1)
    return start, date.fromordinal(end.toordinal() - 1)


def _decimal(value: Any, pointer: str, *, optional: bool = False) -> Decimal | None:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise LimitTableError("must be a decimal string", pointer)
    try:
        out = Decimal(str(value))
    except InvalidOperation:
        raise LimitTableError(f"{value!r} is not a decimal number", pointer) from None
    if not out.is_finite() or out < 0:
        raise LimitTableError("must be a non-negative finite number", pointer)
    return out


def _days(value: Any, pointer: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise LimitTableError("must be a whole number of days or null", pointer)
    return value


def _text(data: Mapping[str, Any], key: str, pointer: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise LimitTableError(f"{key} is required text", f"{pointer}/{key}")
    return value


def parse_table(data: Any) -> LimitTable:
    """A table from its JSON form, validated: limits consistent with averages, no overlaps."""
    if not isinstance(data, Mapping):
        raise LimitTableError("a PSK limit table is a JSON object", "#")
    quarter = _text(data, "quarter", "#")
    try:
        start, end = quarter_bounds(quarter)
    except ValueError as exc:
        raise LimitTableError(str(exc), "#/quarter") from None
    valid_text = _text(data, "valid_from", "#")
    try:
        valid_from = date.fromisoformat(valid_text)
    except ValueError:
        raise LimitTableError("valid_from must be an ISO date", "#/valid_from") from None
    if valid_from != start:
        raise LimitTableError(f"a {quarter} table is in force from {start}", "#/valid_from")
    source = data.get("source")
    if not isinstance(source, Mapping) or not all(isinstance(source.get(k), str) for k in ("title", "url")):
        raise LimitTableError("source needs a title and a url", "#/source")
    raw_rows = data.get("rows")
    if not isinstance(raw_rows, list) or not raw_rows:
        raise LimitTableError("rows must be a non-empty list", "#/rows")
    rows = tuple(_row(r, f"#/rows/{i}") for i, r in enumerate(raw_rows))
    _no_overlaps(rows)
    missing = data.get("missing", [])
    if not isinstance(missing, list) or not all(isinstance(m, str) for m in missing):
        raise LimitTableError("missing must be a list of texts", "#/missing")
    return LimitTable(
        quarter=quarter,
        valid_from=valid_from,
        valid_to=end,
        lender_type=str(data.get("lender_type", "credit_organisation")),
        source={str(k): str(v) for k, v in source.items()},
        rows=rows,
        missing=tuple(missing),
    )


def _row(raw: Any, at: str) -> LimitRow:
    if not isinstance(raw, Mapping):
        raise LimitTableError("a row is a JSON object", at)
    purpose = _text(raw, "purpose", at)
    if purpose not in _PURPOSES:
        raise LimitTableError(f"purpose must be one of {', '.join(sorted(_PURPOSES))}", f"{at}/purpose")
    secured = raw.get("secured")
    if secured is not None and not isinstance(secured, bool):
        raise LimitTableError("secured is true, false or null", f"{at}/secured")
    average = _decimal(raw.get("average_percent"), f"{at}/average_percent")
    limit = _decimal(raw.get("limit_percent"), f"{at}/limit_percent")
    assert average is not None and limit is not None
    if limit != expected_limit(average):
        raise LimitTableError(
            f"limit {limit} is not the lesser of {average} plus one third ({expected_limit(average)}) "
            f"and {ABSOLUTE_CAP_PERCENT}",
            f"{at}/limit_percent",
        )
    row = LimitRow(
        category=_text(raw, "category", at),
        title=_text(raw, "title", at),
        purpose=purpose,
        secured=secured,
        amount_min=_decimal(raw.get("amount_min"), f"{at}/amount_min", optional=True),
        amount_max=_decimal(raw.get("amount_max"), f"{at}/amount_max", optional=True),
        term_days_min=_days(raw.get("term_days_min"), f"{at}/term_days_min"),
        term_days_max=_days(raw.get("term_days_max"), f"{at}/term_days_max"),
        average_percent=average,
        limit_percent=limit,
    )
    if row.amount_min is not None and row.amount_max is not None and row.amount_min >= row.amount_max:
        raise LimitTableError("amount_min must be below amount_max", f"{at}/amount_max")
    if row.term_days_min is not None and row.term_days_max is not None and row.term_days_min >= row.term_days_max:
        raise LimitTableError("term_days_min must be below term_days_max", f"{at}/term_days_max")
    return row


def _overlap(lo1: Any, hi1: Any, lo2: Any, hi2: Any) -> bool:
    """Half-open ranges (lo, hi]; None is unbounded."""
    return (hi2 is None or lo1 is None or lo1 < hi2) and (hi1 is None or lo2 is None or lo2 < hi1)


def _no_overlaps(rows: Sequence[LimitRow]) -> None:
    seen: dict[str, int] = {}
    for i, row in enumerate(rows):
        if row.category in seen:
            raise LimitTableError(f"category {row.category} is listed twice", f"#/rows/{i}/category")
        seen[row.category] = i
    for i, a in enumerate(rows):
        for j in range(i):
            b = rows[j]
            if (
                a.purpose == b.purpose
                and (a.secured is None or b.secured is None or a.secured == b.secured)
                and _overlap(a.amount_min, a.amount_max, b.amount_min, b.amount_max)
                and _overlap(a.term_days_min, a.term_days_max, b.term_days_min, b.term_days_max)
                and not _distinguished(a, b)
            ):
                raise LimitTableError(
                    f"category {a.category} overlaps category {b.category} (same purpose, security, "
                    "amounts and terms)",
                    f"#/rows/{i}",
                )


def _distinguished(a: LimitRow, b: LimitRow) -> bool:
    """Rows the Bank of Russia splits by a fact outside purpose/amount/term (mileage, cash use):
    they share a parent number (1.1 and 1.2, 2.1.1 and 2.1.2) and say so in their titles."""
    return a.category.rsplit(".", 1)[0] == b.category.rsplit(".", 1)[0] and a.title != b.title


@dataclass(frozen=True, slots=True)
class LimitInForce:
    """The limit that applies to one loan: the strictest row of the loan's category."""

    quarter: str
    category: str
    title: str
    average_percent: Decimal
    limit_percent: Decimal


def limit_for(
    table: LimitTable, *, purpose: str, secured: bool, amount: Decimal, term_days: int
) -> LimitInForce | None:
    """The lowest limit among the rows for the product's purpose and security that cover
    the amount and term (None: the table has no such category).

    Where rows differ by a fact the service does not hold (a car's mileage, a card's cash
    use) the strictest is taken, so no contract can pass a limit that might apply.
    """
    found = [
        r for r in table.rows
        if r.purpose == purpose and r.secured in (None, secured) and r.covers(amount=amount, term_days=term_days)
    ]
    if not found:
        return None
    best = min(found, key=lambda r: (r.limit_percent, r.category))
    return LimitInForce(table.quarter, best.category, best.title, best.average_percent, best.limit_percent)


def table_json(table: LimitTable) -> dict[str, Any]:
    """The JSON form of a table (as the files and the database hold it)."""

    def num(v: Decimal | None) -> str | None:
        return None if v is None else format(v, "f")

    return {
        "quarter": table.quarter,
        "valid_from": table.valid_from.isoformat(),
        "lender_type": table.lender_type,
        "source": dict(table.source),
        "missing": list(table.missing),
        "rows": [
            {
                "category": r.category, "title": r.title, "purpose": r.purpose, "secured": r.secured,
                "amount_min": num(r.amount_min), "amount_max": num(r.amount_max),
                "term_days_min": r.term_days_min, "term_days_max": r.term_days_max,
                "average_percent": num(r.average_percent), "limit_percent": num(r.limit_percent),
            }
            for r in table.rows
        ],
    }
