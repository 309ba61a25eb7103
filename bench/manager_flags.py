"""Benchmark and validation of :mod:`scoring.manager_flags` on synthetic portfolios.

Usage (from the repository root)::

    .venv/bin/python bench/manager_flags.py speed      # 1M loans / 10k managers timing
    .venv/bin/python bench/manager_flags.py validate   # precision/recall, 20 seeds
    .venv/bin/python bench/manager_flags.py accuracy   # saddlepoint vs exact tail
    .venv/bin/python bench/manager_flags.py all

Every figure in ``docs/manager-flags.md`` comes from these functions.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from scoring.manager_flags import (
    flag_first_payment_default,
    flag_managers,
    poisson_binomial_upper_tail,
)
from scoring.synthetic_portfolio import SEGMENTS, synthetic_portfolio


def bench_speed(
    n_loans: int = 1_000_000, n_managers: int = 10_000, repeats: int = 7, seed: int = 1
) -> dict[str, float]:
    """Wall time of :func:`flag_managers` on ``n_loans`` loans over ``n_managers``.

    The portfolio is the synthetic generator with a median book chosen so that the
    mean book is ``n_loans / n_managers``, truncated to exactly ``n_loans`` loans (they
    are shuffled, so truncation keeps every manager's share). Returns the median and
    best of ``repeats`` runs, for int ids and for the same ids as strings.
    """
    mean_book = n_loans / n_managers
    median = mean_book / float(np.exp(1.1**2 / 2))
    pf = synthetic_portfolio(seed, n_managers=n_managers, median_loans=median * 1.05)
    while pf.manager.size < n_loans:
        median *= 1.1
        pf = synthetic_portfolio(seed, n_managers=n_managers, median_loans=median)
    m, p, b = pf.manager[:n_loans], pf.pd[:n_loans], pf.bad[:n_loans]
    ms = m.astype("U8")
    out: dict[str, float] = {"loans": float(m.size), "managers": float(np.unique(m).size)}
    for label, ids in (("int", m), ("str", ms)):
        flag_managers(ids, p, b)  # warm-up
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            flag_managers(ids, p, b)
            times.append(time.perf_counter() - t0)
        out[f"{label}_median_s"] = statistics.median(times)
        out[f"{label}_best_s"] = min(times)
    return out


@dataclass
class Scores:
    """Precision/recall counts accumulated over seeds."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, flagged: np.ndarray, truth: np.ndarray) -> None:
        self.tp += int(np.sum(flagged & truth))
        self.fp += int(np.sum(flagged & ~truth))
        self.fn += int(np.sum(~flagged & truth))

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else float("nan")

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else float("nan")

    def row(self, name: str) -> str:
        return (
            f"| {name} | {self.precision:.3f} | {self.recall:.3f} | "
            f"{self.tp} | {self.fp} | {self.fn} |"
        )


def naive_flags(manager: np.ndarray, bad: np.ndarray, managers: np.ndarray) -> np.ndarray:
    """The naive rule: a manager's problem rate above twice the portfolio average."""
    _, inv = np.unique(manager, return_inverse=True)
    n = np.bincount(inv, minlength=managers.size)
    o = np.bincount(inv, weights=bad, minlength=managers.size)
    avg = bad.sum() / bad.size
    flagged: np.ndarray = (o / n) > 2.0 * avg
    return flagged


def validate(
    seeds: Sequence[int] = tuple(range(20)),
    *,
    fdr: float = 0.05,
    min_expected: float = 5.0,
    honest_sigma: float = 0.08,
    null_ratio: float = 1.0,
    verbose: bool = True,
) -> dict[str, Scores]:
    """Precision/recall of ours vs the naive rule over seeded synthetic portfolios.

    Scored among managers with ``expected >= min_expected`` (sum of PDs) - the managers
    our method tests. Also broken down by segment and by expected-count band, and for
    the first-payment-default variant (scored among managers with expected FPD >= 5).
    """
    res: dict[str, Scores] = {
        "ours": Scores(),
        "naive": Scores(),
        "fpd_ours": Scores(),
    }
    for s in SEGMENTS:
        res[f"ours_{s}"] = Scores()
        res[f"naive_{s}"] = Scores()
    bands = ((5.0, 10.0), (10.0, 20.0), (20.0, 50.0), (50.0, np.inf))
    for lo, hi in bands:
        res[f"ours_E{lo:g}-{hi:g}"] = Scores()
    phis: list[float] = []
    n_tested: list[int] = []
    for seed in seeds:
        pf = synthetic_portfolio(seed, honest_sigma=honest_sigma)
        rep = flag_managers(
            pf.manager, pf.pd, pf.bad, fdr=fdr, min_expected=min_expected, null_ratio=null_ratio
        )
        ids = rep.managers.astype(np.int64)
        truth = pf.is_problem_manager[ids]
        scope = rep.expected >= min_expected
        naive = naive_flags(pf.manager, pf.bad, rep.managers)
        res["ours"].add(rep.flagged[scope], truth[scope])
        res["naive"].add(naive[scope], truth[scope])
        seg = pf.primary_segment[ids]
        for si, s in enumerate(SEGMENTS):
            sc = scope & (seg == si)
            res[f"ours_{s}"].add(rep.flagged[sc], truth[sc])
            res[f"naive_{s}"].add(naive[sc], truth[sc])
        for lo, hi in bands:
            sc = (rep.expected >= lo) & (rep.expected < hi)
            res[f"ours_E{lo:g}-{hi:g}"].add(rep.flagged[sc], truth[sc])
        fr = flag_first_payment_default(
            pf.manager, pf.pd, pf.fpd, fdr=fdr, min_expected=min_expected, null_ratio=null_ratio
        )
        fscope = fr.expected >= min_expected
        ftruth = pf.is_problem_manager[fr.managers.astype(np.int64)]
        res["fpd_ours"].add(fr.flagged[fscope], ftruth[fscope])
        phis.append(rep.phi)
        n_tested.append(int(scope.sum()))
    if verbose:
        print(
            f"seeds={len(seeds)} fdr={fdr} min_expected={min_expected} "
            f"honest_sigma={honest_sigma} null_ratio={null_ratio}; tested managers per seed: "
            f"mean {np.mean(n_tested):.0f}; phi mean {np.mean(phis):.3f} "
            f"(min {np.min(phis):.3f}, max {np.max(phis):.3f})"
        )
        print("| rule | precision | recall | TP | FP | FN |")
        print("|---|---|---|---|---|---|")
        for name, sc in res.items():
            print(sc.row(name))
    return res


def accuracy(seed: int = 0) -> list[tuple[int, float, float, float, float]]:
    """Saddlepoint vs exact tail on beta-distributed PDs.

    For each (n, mean PD) every ``k`` from 0 to ``mu + 12 sigma + 5`` is evaluated.
    Returns rows ``(n, mean_pd, max_abs_err, max_rel_err_where_exact<0.5,
    min_exact_checked)``.
    """
    rng = np.random.default_rng(seed)
    rows = []
    print("| n | mean PD | E | max abs error | max rel error (tail < 0.5) | smallest tail |")
    print("|---|---|---|---|---|---|")
    for n in (129, 200, 500, 1000, 2000, 5000):
        for mean_p in (0.01, 0.05, 0.15):
            p = np.clip(rng.beta(mean_p * 40, (1 - mean_p) * 40, n), 1e-6, 1 - 1e-6)
            mu = float(p.sum())
            sd = float(np.sqrt((p * (1 - p)).sum()))
            ks = np.arange(0, min(n, int(mu + 12 * sd + 5)) + 1)
            code = np.arange(ks.size).repeat(n)
            pp = np.tile(p, ks.size)
            ex = poisson_binomial_upper_tail(ks, pp, code, method="exact")
            sp = poisson_binomial_upper_tail(ks, pp, code, method="saddlepoint")
            small = (ex < 0.5) & (ex > 0)
            rel = float(np.max(np.abs(sp[small] / ex[small] - 1))) if small.any() else 0.0
            ab = float(np.max(np.abs(sp - ex)))
            rows.append((n, mean_p, ab, rel, float(ex[ex > 0].min())))
            print(f"| {n} | {mean_p} | {mu:.1f} | {ab:.1e} | {rel:.1e} | {ex[ex > 0].min():.1e} |")
    return rows


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("what", choices=("speed", "validate", "accuracy", "all"), default="all", nargs="?")
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--honest-sigma", type=float, default=0.08)
    ap.add_argument("--null-ratio", type=float, default=1.0)
    args = ap.parse_args(argv)
    if args.what in ("speed", "all"):
        r = bench_speed()
        print(
            f"flag_managers: {r['loans']:.0f} loans, {r['managers']:.0f} managers: "
            f"int ids median {r['int_median_s']:.3f} s (best {r['int_best_s']:.3f} s); "
            f"str ids median {r['str_median_s']:.3f} s (best {r['str_best_s']:.3f} s)"
        )
    if args.what in ("validate", "all"):
        validate(
            tuple(range(args.seeds)), honest_sigma=args.honest_sigma, null_ratio=args.null_ratio
        )
    if args.what in ("accuracy", "all"):
        accuracy()


if __name__ == "__main__":
    main()
