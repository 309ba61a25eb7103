"""Queries and time of the risk reads on a book of a few thousand loans (not a test).

Builds the demo book (1,540 loans, 13 managers) and clones it ``--copies`` times under new
manager ids, writes twelve month-end snapshots by replay (what twelve closes would have
written), then calls through HTTP, as medians of ``--runs`` calls, counting the SQL
statements each one sends::

    .venv/bin/python bench/risk_reads.py                      # SQLite in a temp dir
    .venv/bin/python bench/risk_reads.py --database-url postgresql+psycopg://postgres@127.0.0.1/risk_bench

The figures in docs/dashboard.md come from this script.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event, insert, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import migrate
from app.apikeys import service as keys
from app.applications.table import ApplicationRow
from app.core.config import Settings
from app.core.db import transaction
from app.demo import load
from app.loans.table import LoanInstalmentRow, LoanPaymentRow, LoanRow
from app.main import create_app
from app.managers.table import ManagerRow
from schemas.identity import Role
from tests.risk.support import backfill_month_ends

TODAY = date(2026, 11, 1)


def _clone(engine: Any, copies: int) -> None:
    """Copies of the demo's managers and loans under new ids (same histories)."""
    tables = [ManagerRow, ApplicationRow, LoanRow, LoanInstalmentRow, LoanPaymentRow]
    with transaction(engine, write=True) as session:
        rows = {t: [dict(r._mapping) for r in session.execute(select(t.__table__))] for t in tables}  # type: ignore[attr-defined]
        top = {t: max((r["id"] for r in rows[t]), default=0) for t in tables if t is not ManagerRow}
        for k in range(1, copies + 1):
            def mid(value: str | None, k: int = k) -> str | None:
                return None if value is None else f"{value}-{k}"

            session.execute(insert(ManagerRow.__table__), [r | {"id": mid(r["id"])} for r in rows[ManagerRow]])  # type: ignore[attr-defined]
            apps = [r | {"id": r["id"] + k * top[ApplicationRow], "manager_id": mid(r["manager_id"])}
                    for r in rows[ApplicationRow]]
            session.execute(insert(ApplicationRow.__table__), apps)  # type: ignore[attr-defined]
            loans = [r | {"id": r["id"] + k * top[LoanRow], "manager_id": mid(r["manager_id"]),
                          "application_id": r["application_id"] + k * top[ApplicationRow]} for r in rows[LoanRow]]
            session.execute(insert(LoanRow.__table__), loans)  # type: ignore[attr-defined]
            for t in (LoanInstalmentRow, LoanPaymentRow):
                session.execute(insert(t.__table__), [  # type: ignore[attr-defined]
                    r | {"id": r["id"] + k * top[t], "loan_id": r["loan_id"] + k * top[LoanRow]} for r in rows[t]])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url")
    parser.add_argument("--copies", type=int, default=3, help="clones of the demo book besides the original")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/risk_bench.db"
    migrate.upgrade(url)
    app = create_app(Settings(database_url=url, key_cache_seconds=60, log_level="WARNING"))
    app.state.clock = lambda: TODAY
    engine = app.state.engine
    started = time.perf_counter()
    with transaction(engine, write=True) as session:
        load(session, seed=7, today=TODAY)
        _, key = keys.create_key(session, role=Role.RISK_OFFICER, name="bench")
    _clone(engine, args.copies)
    ends = backfill_month_ends(engine, TODAY, months=12)
    with transaction(engine) as session:
        n_loans = session.execute(select(LoanRow.id)).all()
    print(f"book: {len(n_loans)} loans, {13 * (args.copies + 1)} managers, 12 month ends "
          f"({time.perf_counter() - started:.0f} s to build) on {engine.dialect.name}")
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    headers = {"Authorization": f"Bearer {key}"}
    calls = {
        "manager flags (business date, stored)": "/v1/risk/manager-flags",
        "manager flags (month end, snapshot)": f"/v1/risk/manager-flags?as_of={ends[-1]}",
        "manager flags (mid-month, replay)": f"/v1/risk/manager-flags?as_of={ends[-1].replace(day=15)}",
        "one manager's portfolio": "/v1/managers/POS-03/portfolio",
        "dashboard overview": "/dashboard",
        "dashboard manager page": "/dashboard/managers/POS-03",
    }
    print("| read | queries | median ms | best ms |\n|---|---:|---:|---:|")
    with TestClient(app) as client:
        for name, path in calls.items():
            client.get(path, headers=headers)  # warm-up (key cache, templates)
            times, counts = [], []
            for _ in range(args.runs if "replay" not in name else 1):
                statements.clear()
                t = time.perf_counter()
                r = client.get(path, headers=headers)
                times.append((time.perf_counter() - t) * 1000)
                counts.append(len(statements))
                assert r.status_code == 200, r.text
            print(f"| {name} | {statistics.median(counts):.0f} | {statistics.median(times):.0f} | {min(times):.0f} |")


if __name__ == "__main__":
    main()
