"""The HTTP part of the benchmark: ``wrk`` against the service and the framework's ceiling.

The service (``loans serve``) and a bare FastAPI app of the same request models and body
sizes (``bench/ceiling_app.py``) are driven with the same scenarios in one run; ratio =
service rps / ceiling rps. ``bench/wrk_post.lua`` gives every filing a new passport.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.processes import LOANS, PY, ROOT, free_port, http, process, serving_rss_mb, wait_up

LUA = str(ROOT / "bench" / "wrk_post.lua")

QUOTE_TARGET = 0.6
APPLICATION_TARGET = 0.3


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
