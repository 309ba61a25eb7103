"""Benchmark of the loan-maths core (not a test; run: .venv/bin/python bench/schedules.py).

1. One 360-month annuity schedule (incl. PSK), best of N: ``kopeck_schedule`` (the plan as
   columns of kopecks) and ``build_schedule`` (the same plan as Decimal rows).
2. Rows/s of the int64 batch path vs numpy-financial pmt/ipmt/ppmt on the same
   10,000 loans x 360 months, in the same run, with the ratio.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from datetime import date
from decimal import Decimal

import numpy as np
import numpy_financial as npf

from app.loanmath import LoanTerms, annuity_schedules_batch, build_schedule, kopeck_schedule


def best_of(fn: Callable[[], object], repeat: int, number: int) -> float:
    """Best mean seconds per call over ``repeat`` runs of ``number`` calls."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - start) / number)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--loans", type=int, default=10_000)
    parser.add_argument("--months", type=int, default=360)
    args = parser.parse_args()

    terms = LoanTerms(Decimal("1234567.89"), Decimal("18.9"), 360, date(2024, 1, 31))
    kop = best_of(lambda: kopeck_schedule(terms), repeat=7, number=100)
    one = best_of(lambda: build_schedule(terms), repeat=7, number=100)
    print(f"kopeck_schedule, one 360-month annuity schedule (with PSK): {kop * 1e3:.3f} ms")
    print(f"build_schedule, the same as Decimal rows (with PSK):      {one * 1e3:.3f} ms")

    rng = np.random.default_rng(42)
    n, months = args.loans, args.months
    amounts = rng.integers(100_000, 5_000_000_001, n)  # kopecks
    rate_bp = rng.integers(1, 10_000, n)
    term = np.full(n, months, dtype=np.int64)
    rows = n * months

    batch = best_of(lambda: annuity_schedules_batch(amounts, rate_bp, term), repeat=5, number=1)

    rate = rate_bp / 120000.0
    per = np.arange(1, months + 1)[None, :]
    pv = -(amounts / 100.0)[:, None]

    def numpy_financial() -> None:
        npf.pmt(rate, months, -amounts / 100.0)
        npf.ipmt(rate[:, None], per, months, pv)
        npf.ppmt(rate[:, None], per, months, pv)

    with np.errstate(all="ignore"):
        ref = best_of(numpy_financial, repeat=3, number=1)

    print(f"batch (exact int64):          {batch:.4f} s  {rows / batch / 1e6:8.2f} M rows/s")
    print(f"numpy-financial pmt/ipmt/ppmt: {ref:.4f} s  {rows / ref / 1e6:8.2f} M rows/s")
    print(f"ratio batch / numpy-financial: {ref / batch:.1f}x  ({n} loans x {months} months)")


if __name__ == "__main__":
    main()
