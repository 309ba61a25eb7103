"""Storing and finding PSK limit tables (the quarter's latest version is the one in force)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.pricing.limits import LimitInForce, LimitTable, limit_for, parse_table, quarter_of, table_json
from app.pricing.products import pricing_of
from app.pricing.table import PskLimitTableRow


def load(session: Session, table: LimitTable, *, loaded_by: str) -> PskLimitTableRow:
    """Store a validated table as the next version of its quarter; returns the stored row."""
    latest = session.exec(
        select(func.max(PskLimitTableRow.version)).where(PskLimitTableRow.quarter == table.quarter)
    ).one()
    row = PskLimitTableRow(
        quarter=table.quarter,
        version=(latest or 0) + 1,
        valid_from=table.valid_from,
        valid_to=table.valid_to,
        source_url=table.source["url"][:500],
        table=table_json(table),
        loaded_by=loaded_by,
    )
    session.add(row)
    session.flush()
    return row


def in_force(session: Session, on: date) -> tuple[LimitTable, int] | None:
    """The table (and its version) in force on ``on``: its quarter's latest version."""
    row = session.exec(
        select(PskLimitTableRow)
        .where(PskLimitTableRow.quarter == quarter_of(on))
        .order_by(col(PskLimitTableRow.version).desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    return parse_table(row.table), row.version


def quarters(session: Session) -> list[str]:
    return list(session.exec(select(PskLimitTableRow.quarter).distinct().order_by(PskLimitTableRow.quarter)).all())


def limit_on(
    session: Session, *, product_code: str, amount: Decimal, on: date, last_due: date
) -> tuple[str, LimitInForce | None, bool]:
    """(quarter, the limit for the loan's category, whether a table is loaded for the quarter)."""
    pricing = pricing_of(product_code)
    found = in_force(session, on)
    if found is None:
        return quarter_of(on), None, False
    limit = limit_for(found[0], purpose=pricing.purpose, secured=pricing.secured, amount=amount,
                      term_days=(last_due - on).days)
    return quarter_of(on), limit, True
