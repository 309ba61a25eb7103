"""The memory part of the benchmark: peak RSS of ``loans score`` on generated CSVs of 100k and 1M rows."""

from __future__ import annotations

import contextlib
import csv
import re
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.processes import LOANS, ROOT, rss_kb


def write_csv(path: Path, rows: int) -> None:
    import random

    rnd = random.Random(7)
    housing, history = ("own", "rent", "family"), ("none", "good", "delinquent")
    purposes = ("consumer", "car", "home", "education", "business", "other")
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["application_id", "term_months", "amount", "age_years", "employment_months",
                    "instalment_share", "housing", "existing_credits", "dependents", "credit_history", "purpose"])
        for i in range(rows):
            w.writerow([i, rnd.randint(6, 72), f"{rnd.uniform(1e4, 2e6):.2f}", rnd.randint(19, 74),
                        rnd.randint(0, 400), f"{rnd.uniform(0.02, 0.6):.4f}", rnd.choice(housing),
                        rnd.randint(0, 4), rnd.randint(0, 3), rnd.choice(history),
                        "" if i % 50 == 0 else rnd.choice(purposes)])


def score_peak(rows: int, tmp: Path) -> dict[str, Any]:
    src, dst = tmp / f"in_{rows}.csv", tmp / f"out_{rows}.csv"
    write_csv(src, rows)
    cmd = [LOANS, "score", "--input", str(src), "--output", str(dst)]
    start = time.perf_counter()
    if Path("/usr/bin/time").exists():
        r = subprocess.run(["/usr/bin/time", "-v", *cmd], cwd=ROOT, capture_output=True, text=True, check=True)
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", r.stderr)
        peak_kb = int(m.group(1)) if m else -1
        how = "/usr/bin/time -v"
    else:  # poll /proc
        p = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL)
        peak_kb = 0
        while p.poll() is None:
            with contextlib.suppress(OSError):
                peak_kb = max(peak_kb, rss_kb(p.pid))
            time.sleep(0.05)
        how = "polling /proc/<pid>/status"
    seconds = time.perf_counter() - start
    with open(dst, encoding="utf-8") as fh:
        out_rows = sum(1 for _ in fh) - 1
    res = {"rows": rows, "out_rows": out_rows, "peak_rss_mb": peak_kb / 1024, "seconds": seconds,
           "input_mb": src.stat().st_size / 2**20, "how": how}
    src.unlink()
    dst.unlink()
    return res


def memory_part() -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="loans-score-") as d:
        return [score_peak(n, Path(d)) for n in (100_000, 1_000_000)]
