"""Storing and finding PSK limit tables (the quarter's latest version is the one in force)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.pricing.limits import LimitTable, parse_table, quarter_of, table_json
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
