"""Benchmark and validation of :mod:`scoring.manager_flags` on synthetic portfolios.

Usage (from the repository root)::

    .venv/bin/python bench/manager_flags.py speed      # 1M loans / 10k managers timing
    .venv/bin/python bench/manager_flags.py validate   # precision/recall, 4 settings x 20 seeds
    .venv/bin/python bench/manager_flags.py accuracy   # saddlepoint vs exact tail
    .venv/bin/python bench/manager_flags.py marginal   # decision p-value vs quadrature
    .venv/bin/python bench/manager_flags.py all

Every figure in ``docs/manager-flags.md`` comes from these functions.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from scoring.funnel import shrinkage
from scoring.manager_flags import flag_managers
from scoring.normal import norm_sf
from scoring.poisson_binomial import ExactBooks, SaddlepointBooks, poisson_binomial_upper_tail, z_from_tails
from scoring.synthetic_portfolio import synthetic_portfolio


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
    planted: int = 0
    planted_big: int = 0
    tp_big: int = 0

    def add(self, flagged: np.ndarray, truth: np.ndarray, big: np.ndarray) -> None:
        self.tp += int(np.sum(flagged & truth))
        self.fp += int(np.sum(flagged & ~truth))
        self.planted += int(np.sum(truth))
        self.planted_big += int(np.sum(truth & big))
        self.tp_big += int(np.sum(flagged & truth & big))

    def merge(self, other: Scores) -> None:
        for f in ("tp", "fp", "planted", "planted_big", "tp_big"):
            setattr(self, f, getattr(self, f) + getattr(other, f))

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else float("nan")

    @property
    def recall_big(self) -> float:
        return self.tp_big / self.planted_big if self.planted_big else float("nan")

    @property
    def recall(self) -> float:
        return self.tp / self.planted if self.planted else float("nan")


#: Validation settings: (name, honest log-normal spread, biased segment or None).
SETTINGS: tuple[tuple[str, float, int | None], ...] = (
    ("spread 0", 0.0, None),
    ("spread 0.25", 0.25, None),
    ("spread 0.35", 0.35, None),
    ("spread 0.25, branch PDs 40% low", 0.25, 1),
)
RULES = ("ours", "exact PB, no spread (tau2=0)", "naive: observed >= 2x expected")


def _validate_one(job: tuple[int, float, int | None, int, int]) -> tuple[dict[str, Scores], float]:
    seed, spread, biased, n_managers, min_big = job
    pf = synthetic_portfolio(
        seed, n_managers=n_managers, problem_share=0.04, problem_multiplier=(2.0, 3.5),
        honest_spread=spread, biased_segment=biased,
    )
    ours = flag_managers(pf.manager, pf.pd, pf.bad, peer_group=pf.segment)
    plain = flag_managers(pf.manager, pf.pd, pf.bad, tau2=0.0)
    truth = pf.is_problem_manager[ours.managers.astype(np.int64)]
    big = ours.expected >= min_big
    out = {name: Scores() for name in RULES}
    out[RULES[0]].add(ours.flagged, truth, big)
    out[RULES[1]].add(plain.flagged, truth, big)
    out[RULES[2]].add(ours.observed >= 2.0 * ours.expected, truth, big)
    return out, float(np.sqrt(ours.tau2))


def validate(
    seeds: Sequence[int] = tuple(range(20)),
    *,
    n_managers: int = 3000,
    settings: Sequence[tuple[str, float, int | None]] = SETTINGS,
    min_big: float = 10.0,
    processes: int = 2,
    verbose: bool = True,
) -> dict[str, dict[str, Scores]]:
    """Precision and recall on synthetic portfolios with honest variation.

    Each setting: ``len(seeds)`` portfolios of ``n_managers`` managers, 4 % of them
    planted at 2-3.5x their PDs, honest managers at ``LogNormal(0, spread)`` times
    their PDs, optionally one segment's PDs 40 % low. "ours" is ``flag_managers`` with
    ``peer_group=segment``; precision is over every flagged manager, recall over the
    planted managers with ``expected >= min_big`` (and over all planted).
    """
    jobs = [(seed, spread, biased, n_managers, int(min_big)) for _, spread, biased in settings for seed in seeds]
    if processes > 1:
        with multiprocessing.Pool(processes) as pool:
            results = pool.map(_validate_one, jobs)
    else:
        results = [_validate_one(j) for j in jobs]
    table: dict[str, dict[str, Scores]] = {}
    taus: dict[str, list[float]] = {}
    for i, (name, _, _) in enumerate(settings):
        acc = {rule: Scores() for rule in RULES}
        taus[name] = []
        for res, tau in results[i * len(seeds) : (i + 1) * len(seeds)]:
            for rule in RULES:
                acc[rule].merge(res[rule])
            taus[name].append(tau)
        table[name] = acc
    if verbose:
        print(
            f"seeds={len(seeds)} managers={n_managers} planted=4% at 2-3.5x; "
            f"recall (E>={min_big:g}) among planted with at least {min_big:g} expected problems"
        )
        print("| setting | rule | precision | recall (E>=10) | recall (all) | flagged | false flags | tau (median) |")
        print("|---|---|---|---|---|---|---|---|")
        for name, acc in table.items():
            for rule in RULES:
                sc = acc[rule]
                tau = f"{statistics.median(taus[name]):.3f}" if rule == RULES[0] else ""
                print(
                    f"| {name} | {rule} | {sc.precision:.3f} | {sc.recall_big:.3f} | {sc.recall:.3f} "
                    f"| {sc.tp + sc.fp} | {sc.fp} | {tau} |"
                )
    return table


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


def marginal_accuracy() -> list[tuple[int, float, float, float, float]]:
    """The decision p-value against the honest-manager tail computed by quadrature.

    A book of ``n`` loans at PD ``p`` whose log-odds an honest manager shifts by
    ``b ~ N(0, tau^2)``: the true tail integrates the Binomial tail over ``b`` (4001-point
    grid over +-10 tau, in log space); the decision p-value is ``1 - Phi(lambda z)`` with
    the exact (n <= 128) or saddlepoint z of the book. Returns rows ``(n, p, tau, min,
    max)`` of ``decision / true`` where the true tail is in [1e-10, 0.05].
    """
    lgamma = np.vectorize(math.lgamma)

    def log_upper(n: int, p: float, ks: np.ndarray) -> np.ndarray:
        x = np.arange(n + 1)
        lp = lgamma(n + 1) - lgamma(x + 1) - lgamma(n - x + 1) + x * np.log(p) + (n - x) * np.log1p(-p)
        out: np.ndarray = np.append(np.logaddexp.accumulate(lp[::-1])[::-1], -np.inf)[ks]
        return out

    rows = []
    print("| n | PD | E | tau | decision / true, min | max |")
    print("|---|---|---|---|---|---|")
    for n, p in ((20, 0.05), (50, 0.1), (128, 0.05), (128, 0.15), (500, 0.02), (500, 0.1), (2000, 0.05)):
        ks = np.arange(0, n + 1)
        if n <= 128:
            books = ExactBooks(np.array([p]), np.array([n]), np.zeros(1, dtype=np.int64), np.array([0]))
            z = np.array([z_from_tails(*books.tails(np.array([k])))[0] for k in ks])
        else:
            sb = SaddlepointBooks(np.full(ks.size, p), np.full(ks.size, float(n)), np.arange(ks.size), ks.size)
            z = sb.tails(ks.astype(np.int64))[2]
        for tau in (0.1, 0.25, 0.35, 0.6):
            b = np.linspace(-10 * tau, 10 * tau, 4001)
            lw = -0.5 * (b / tau) ** 2
            lw -= np.logaddexp.reduce(lw)
            acc = np.full(ks.size, -np.inf)
            for bi, lwi in zip(b, lw, strict=True):
                acc = np.logaddexp(acc, lwi + log_upper(n, p * math.exp(bi) / (1 - p + p * math.exp(bi)), ks))
            sel = (acc < math.log(0.05)) & (acc > math.log(1e-10))
            ratio = norm_sf(shrinkage(ks - 0.5, n, n * p, tau * tau) * z)[sel] / np.exp(acc[sel])
            rows.append((n, p, tau, float(ratio.min()), float(ratio.max())))
            print(f"| {n} | {p} | {n * p:g} | {tau} | {ratio.min():.3f} | {ratio.max():.3f} |")
    return rows


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("what", choices=("speed", "validate", "accuracy", "marginal", "all"), default="all", nargs="?")
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--managers", type=int, default=3000)
    ap.add_argument("--processes", type=int, default=2)
    args = ap.parse_args(argv)
    if args.what in ("speed", "all"):
        r = bench_speed()
        print(
            f"flag_managers: {r['loans']:.0f} loans, {r['managers']:.0f} managers: "
            f"int ids median {r['int_median_s']:.3f} s (best {r['int_best_s']:.3f} s); "
            f"str ids median {r['str_median_s']:.3f} s (best {r['str_best_s']:.3f} s)"
        )
    if args.what in ("validate", "all"):
        t0 = time.perf_counter()
        validate(tuple(range(args.seeds)), n_managers=args.managers, processes=args.processes)
        print(f"validation took {time.perf_counter() - t0:.0f} s")
    if args.what in ("accuracy", "all"):
        accuracy()
    if args.what in ("marginal", "all"):
        marginal_accuracy()


if __name__ == "__main__":
    main()
