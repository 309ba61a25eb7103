"""The loan book at bank scale: reads and the close of business on books of 100k and 1M loans.

Not a test. Run (PostgreSQL at 127.0.0.1:5432; each book lives in a throw-away database):

    .venv/bin/python bench/book_scale.py --sizes 100000 1000000 --repeats 5

For each size: the book is built by ``loans demo --loans N`` (the bulk path) on the
business date, the close of business runs for the next day (loans per second, peak RSS of
the process), then each read is timed through the whole ASGI app (httpx ASGITransport, a
risk officer's key) as the median of ``--repeats`` calls after one warm-up. The table
prints each read's time at every size and the ratio of the largest to the smallest size.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import httpx
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.pool import NullPool

from app import migrate
from app.apikeys import service as keys
from app.core.config import Settings
from app.core.db import make_engine, transaction
from app.demo_book import build_book
from app.loans.close_of_business import close_day
from app.main import create_app
from schemas.identity import Role

BUILT = date(2026, 11, 27)
TARGETS = {  # seconds at 1,000,000 loans (issue 16)
    "manager flags": 1.0, "one manager's portfolio": 0.3, "dashboard": 1.5,
    "reminders, first page": 0.1, "overdue loans, first page": 0.1,
}


def _admin(url: str) -> Any:
    return create_engine(make_url(url).set(database="postgres"), poolclass=NullPool, isolation_level="AUTOCOMMIT")


def _fresh(base: str, name: str) -> str:
    with _admin(base).connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    return make_url(base).set(database=name).render_as_string(hide_password=False)


def _drop(base: str, name: str) -> None:
    with _admin(base).connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _time(call: Callable[[], Any], repeats: int) -> float:
    await call()  # warm-up: plans, caches
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        r = await call()
        times.append(time.perf_counter() - start)
        assert r.status_code == 200, r.text[:300]
    return statistics.median(times)


async def _reads(url: str, day: date, repeats: int) -> dict[str, float]:
    settings = Settings(database_url=url, business_date=day)
    app = create_app(settings)
    with transaction(app.state.engine, write=True) as session:
        _, risk = keys.create_key(session, role=Role.RISK_OFFICER, name="bench-risk")
        _, admin = keys.create_key(session, role=Role.ADMIN, name="bench-admin")
        manager = session.exec(text("SELECT manager_id FROM loan GROUP BY manager_id "  # type: ignore[call-overload]
                                    "ORDER BY count(*) DESC LIMIT 1")).first()[0]
        branch = session.exec(text("SELECT branch_id FROM loan WHERE branch_id IS NOT NULL "  # type: ignore[call-overload]
                                   "GROUP BY branch_id ORDER BY count(*) DESC LIMIT 1")).first()[0]
    r_h, a_h = {"Authorization": f"Bearer {risk}"}, {"Authorization": f"Bearer {admin}"}
    transport = httpx.ASGITransport(app=app)
    out = {}
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as c:
        calls = {
            "manager flags": lambda: c.get("/v1/risk/manager-flags", headers=r_h),
            "one manager's portfolio": lambda: c.get(f"/v1/managers/{manager}/portfolio", headers=r_h),
            "dashboard": lambda: c.get("/dashboard", headers=r_h),
            "reminders, first page": lambda: c.get("/v1/reminders", headers=a_h,
                                                   params={"within_days": 5, "branch_id": branch}),
            "overdue loans, first page": lambda: c.get("/v1/loans", headers=a_h, params={"overdue": "true"}),
        }
        for name, call in calls.items():
            out[name] = await _time(call, repeats)
    app.state.engine.dispose()
    return out


def _existing(base: str, name: str) -> str | None:
    with _admin(base).connect() as conn:
        found = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first()
    return None if found is None else make_url(base).set(database=name).render_as_string(hide_password=False)


def run_size(base: str, n: int, repeats: int, workers: int, *, keep: bool) -> dict[str, float]:
    """One book: built (or, with ``--keep``, reused from an earlier run), closed a day, read."""
    name = f"book_scale_{n}" if keep else f"book_scale_{n}_{os.getpid()}"
    url = _existing(base, name) if keep else None
    built = float("nan")
    try:
        if url is None:
            url = _fresh(base, name)
            migrate.upgrade(url)
            settings = Settings(database_url=url)
            engine = make_engine(settings)
            start = time.perf_counter()
            build_book(settings, engine, loans=n, seed=2026, today=BUILT, workers=workers)
            built = time.perf_counter() - start
            engine.dispose()
        settings = Settings(database_url=url)
        engine = make_engine(settings)
        with transaction(engine) as session:
            last = session.exec(text("SELECT closed_through FROM book_date")).first()  # type: ignore[call-overload]
        day = (last[0] if last else BUILT) + timedelta(days=1)
        summary = close_day(settings, engine, day, workers=1)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        engine.dispose()
        out = {"build (s)": built, "close of business (loans/s)": summary.loans / summary.seconds,
               "close peak RSS (MB)": rss / 1024}
        out.update(asyncio.run(_reads(url, day, repeats)))
        print(f"{n}: {out}", file=sys.stderr, flush=True)
        return out
    finally:
        if not keep:
            _drop(base, name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keep", action="store_true", help="keep each book (book_scale_N) and reuse it next run")
    parser.add_argument("--postgres", default=os.environ.get(
        "LOANS_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))
    args = parser.parse_args()
    results = {n: run_size(args.postgres, n, args.repeats, args.workers, keep=args.keep) for n in args.sizes}
    lo, hi = min(results), max(results)
    print(f"| measure | {' | '.join(f'{n:,} loans' for n in results)} | ratio {hi:,}/{lo:,} | target at 1M |")
    print("|---|" + "---|" * (len(results) + 2))
    for key in results[lo]:
        cells = " | ".join(f"{results[n][key]:.3f}" for n in results)
        ratio = results[hi][key] / results[lo][key] if results[lo][key] else float("nan")
        target = TARGETS.get(key)
        verdict = "" if target is None else (f"<= {target} s: " + ("met" if results[hi][key] <= target else "not met"))
        if key.startswith("close of business"):
            verdict = ">= 20,000 loans/s: " + ("met" if results[hi][key] >= 20_000 else "not met")
        print(f"| {key} | {cells} | {ratio:.2f} | {verdict} |")


if __name__ == "__main__":
    main()
