"""Optimal (dynamic-programming) binning and the tree pre-binning: exact optimality
against brute force, never worse than the greedy merges, the constraints, and
cards fitted with them."""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from scoring import Scorecard, fit_scorecard
from scoring.binning import Binning
from scoring.binning_fit import fit_categorical_binning, fit_numeric_binning
from scoring.coarse_classing import optimal_blocks, tree_cuts
from scoring.woe import woe_iv
from tests.scoring.test_scorecard_properties import _columns, _row_strategy

finite = st.floats(-1e7, 1e7, allow_nan=False)


def _blocks_iv(c: np.ndarray, b: np.ndarray, blocks: list[tuple[int, int]], nm: float, bm: float) -> float:
    n = [c[s:e].sum() for s, e in blocks]
    bd = [b[s:e].sum() for s, e in blocks]
    g = [x - y for x, y in zip(n, bd, strict=True)]
    if nm > 0:
        g.append(nm - bm)
        bd.append(bm)
    return 0.0 if len(g) <= 1 else woe_iv(g, bd)[1]


def _feasible(
    c: np.ndarray, b: np.ndarray, blocks: list[tuple[int, int]], min_count: float, max_bins: int, direction: int
) -> bool:
    n = np.array([c[s:e].sum() for s, e in blocks])
    r = np.array([b[s:e].sum() for s, e in blocks]) / n
    if len(blocks) > max(max_bins, 1):
        return False
    if len(blocks) > 1 and n.min() < min_count:
        return False
    if direction == 1:
        return bool(np.all(np.diff(r) > 0))
    if direction == -1:
        return bool(np.all(np.diff(r) < 0))
    return True


def _brute_force(
    c: np.ndarray, b: np.ndarray, min_count: float, max_bins: int, direction: int, nm: float, bm: float
) -> float:
    m = c.size
    best = -math.inf
    for k in range(1, min(max_bins, m) + 1):
        for inner in itertools.combinations(range(1, m), k - 1):
            edges = [0, *inner, m]
            blocks = list(itertools.pairwise(edges))
            if _feasible(c, b, blocks, min_count, max_bins, direction):
                best = max(best, _blocks_iv(c, b, blocks, nm, bm))
    return best


@st.composite
def _fine_classes(draw: Any) -> dict[str, Any]:
    m = draw(st.integers(1, 8))
    counts = draw(st.lists(st.integers(1, 40), min_size=m, max_size=m))
    bads = [draw(st.integers(0, n)) for n in counts]
    nm = draw(st.sampled_from([0, 0, 3, 25]))
    return {
        "c": np.asarray(counts, dtype=float),
        "b": np.asarray(bads, dtype=float),
        "min_count": float(draw(st.integers(0, 60))),
        "max_bins": draw(st.integers(1, 6)),
        "direction": draw(st.sampled_from([1, -1, 0])),
        "nm": float(nm),
        "bm": float(draw(st.integers(0, nm))),
    }


@settings(max_examples=300, deadline=None)
@given(case=_fine_classes(), dense_limit=st.sampled_from([0, 64]))
def test_dp_is_optimal_against_brute_force(case: dict[str, Any], dense_limit: int) -> None:
    c, b = case["c"], case["b"]
    blocks, iv = optimal_blocks(
        c, b, min_count=case["min_count"], max_bins=case["max_bins"], direction=case["direction"],
        n_missing=case["nm"], bad_missing=case["bm"], dense_limit=dense_limit,
    )
    # a partition of the fine classes into contiguous blocks
    assert blocks[0][0] == 0 and blocks[-1][1] == c.size
    assert all(e0 == s1 for (_, e0), (s1, _) in itertools.pairwise(blocks))
    assert all(s < e for s, e in blocks)
    assert _feasible(c, b, blocks, case["min_count"], case["max_bins"], case["direction"])
    # the reported IV is the IV of that partition, and no feasible partition beats it
    assert iv == pytest.approx(_blocks_iv(c, b, blocks, case["nm"], case["bm"]), abs=1e-12)
    brute = _brute_force(c, b, case["min_count"], case["max_bins"], case["direction"], case["nm"], case["bm"])
    assert iv == pytest.approx(brute, abs=1e-12)


@st.composite
def _numeric_sample(draw: Any) -> tuple[np.ndarray, np.ndarray]:
    n = draw(st.integers(20, 400))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    scale = draw(st.sampled_from([0.3, 1.0, 5.0, 40.0]))
    x = np.round(rng.normal(size=n) * scale)  # ties and few distinct values too
    slope = draw(st.floats(-3, 3))
    shape = draw(st.sampled_from(["linear", "u"]))
    z = slope * (x / scale if shape == "linear" else (x / scale) ** 2 - 1)
    bad = (rng.random(n) < 1.0 / (1.0 + np.exp(-(z - 0.8)))).astype(float)
    miss = draw(st.sampled_from([0.0, 0.0, 0.1]))
    x[rng.random(n) < miss] = np.nan
    assume(0 < bad.sum() < n)
    return x, bad


def _check_constraints(bn: Binning, n: int, min_bin_share: float, max_bins: int) -> None:
    vb = bn.n_value_bins
    counts = np.asarray(bn.counts[:vb], dtype=float)
    assert vb <= max_bins
    assert sum(bn.counts) == n
    if vb > 1:
        assert counts.min() >= math.ceil(min_bin_share * n)
        rates = np.asarray(bn.bads[:vb]) / counts
        if bn.trend == "increasing" or bn.kind == "categorical":
            assert np.all(np.diff(rates) > 0)
        else:
            assert bn.trend == "decreasing" and np.all(np.diff(rates) < 0)


@settings(max_examples=80, deadline=None)
@given(
    sample=_numeric_sample(),
    min_bin_share=st.sampled_from([0.0, 0.03, 0.05, 0.1, 0.2]),
    max_bins=st.integers(1, 8),
    fine_bins=st.sampled_from([5, 10, 20]),
    prebinning=st.sampled_from(["quantile", "tree"]),
)
def test_optimal_numeric_never_worse_than_greedy_and_respects_constraints(
    sample: tuple[np.ndarray, np.ndarray], min_bin_share: float, max_bins: int, fine_bins: int, prebinning: Any
) -> None:
    x, bad = sample
    opts: dict[str, Any] = {
        "min_bin_share": min_bin_share, "max_bins": max_bins, "fine_bins": fine_bins, "prebinning": prebinning,
    }
    greedy = fit_numeric_binning("x", x, bad, **opts)
    opt = fit_numeric_binning("x", x, bad, method="optimal", **opts)
    assert opt.iv >= greedy.iv - 1e-9
    _check_constraints(opt, x.size, min_bin_share, max_bins)
    assert (opt.missing_bin is None) == (greedy.missing_bin is None)
    if opt.missing_bin is not None:
        assert opt.counts[opt.missing_bin] == int(np.isnan(x).sum())
    # the same fine classes: every optimal cut is a fine cut the greedy run could use
    ok = ~np.isnan(x)
    if prebinning == "tree":
        fine = set(tree_cuts(x[ok], bad[ok], max_leaves=fine_bins, min_leaf=math.ceil(min_bin_share * x.size)))
    else:
        fine = set(fit_numeric_binning("x", x, bad, min_bin_share=0.0, max_bins=10**6, fine_bins=fine_bins,
                                       monotonic=False).cuts)
    assert set(opt.cuts) <= fine and set(greedy.cuts) <= fine


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_levels=st.integers(1, 9),
    min_bin_share=st.sampled_from([0.0, 0.05, 0.15]),
    max_bins=st.integers(1, 6),
)
def test_optimal_categorical_with_business_order_never_worse_than_greedy(
    seed: int, n_levels: int, min_bin_share: float, max_bins: int
) -> None:
    rng = np.random.default_rng(seed)
    levels = [f"l{i}" for i in range(n_levels)]
    s = rng.choice([*levels, ""], size=600, p=[*(0.95 * rng.dirichlet(np.ones(n_levels))), 0.05])
    p_bad = dict(zip(levels, rng.random(n_levels) * 0.6, strict=True)) | {"": 0.3}
    bad = (rng.random(s.size) < np.vectorize(p_bad.get)(s)).astype(float)
    order = list(rng.permutation(levels))
    greedy = fit_categorical_binning("c", s, bad, min_bin_share=min_bin_share, max_bins=max_bins, order=order)
    opt = fit_categorical_binning("c", s, bad, min_bin_share=min_bin_share, max_bins=max_bins, order=order,
                                  method="optimal")
    assert opt.iv >= greedy.iv - 1e-9
    _check_constraints(opt, s.size, min_bin_share, max_bins)
    # groups are contiguous in the business order
    present = [lv for lv in order if lv in opt.levels]
    assert [opt.levels[lv] for lv in present] == sorted(opt.levels[lv] for lv in present)
    # unordered: sorted by bad rate, same constraints, every level mapped
    free = fit_categorical_binning("c", s, bad, min_bin_share=min_bin_share, max_bins=max_bins, method="optimal")
    _check_constraints(free, s.size, min_bin_share, max_bins)
    assert set(free.levels) == set(np.unique(s[s != ""]))


def test_optimal_beats_greedy_on_a_known_case() -> None:
    # greedy merges the least-IV pair first and cannot undo it; the DP can
    rng = np.random.default_rng(7)
    found = False
    for _ in range(200):
        x = rng.normal(size=300)
        bad = (rng.random(300) < 1 / (1 + np.exp(-(x - 0.8)))).astype(float)
        g = fit_numeric_binning("x", x, bad, max_bins=3)
        o = fit_numeric_binning("x", x, bad, max_bins=3, method="optimal")
        assert o.iv >= g.iv - 1e-12
        found |= o.iv > g.iv + 1e-6
    assert found


def test_tree_cuts_respect_leaf_rules_and_split_where_the_target_changes() -> None:
    x = np.repeat(np.arange(10.0), 30)
    bad = np.where(x < 6, 0.1, 0.7)
    bad = (np.random.default_rng(0).random(x.size) < bad).astype(float)
    cuts = tree_cuts(x, bad, max_leaves=2, min_leaf=30)
    assert cuts.tolist() == [5.5]  # the one split that separates the two risk levels
    many = tree_cuts(x, bad, max_leaves=20, min_leaf=45)
    leaves = np.bincount(np.searchsorted(many, x, side="right"))
    assert leaves.size <= 20 and leaves.min() >= 45
    assert set(many.tolist()) <= {v + 0.5 for v in range(9)}
    assert tree_cuts(np.ones(10), np.arange(10) % 2, max_leaves=5, min_leaf=1).size == 0
    assert tree_cuts(x, np.zeros(x.size), max_leaves=5, min_leaf=1).size == 0  # pure: no split


def test_method_and_prebinning_are_validated() -> None:
    x, bad = np.arange(100.0), np.arange(100) % 2
    with pytest.raises(ValueError, match="method"):
        fit_numeric_binning("x", x, bad, method="best")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="prebinning"):
        fit_numeric_binning("x", x, bad, prebinning="mdlp")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="method"):
        fit_categorical_binning("c", x.astype(str), bad, method="best")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="binning_method"):
        fit_scorecard({"x": x}, bad, binning_method="best")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="prebinning"):
        fit_scorecard({"x": x}, bad, prebinning="mdlp")  # type: ignore[arg-type]


def test_optimal_binning_edge_cases() -> None:
    bad = np.array([0, 1] * 50, dtype=float)
    const = fit_numeric_binning("c", np.full(100, 3.0), bad, method="optimal")
    assert const.n_bins == 1 and const.iv == 0.0 and const.trend == "none"
    allmiss = fit_numeric_binning("m", np.full(100, np.nan), bad, method="optimal")
    assert allmiss.n_value_bins == 0 and allmiss.missing_bin == 0
    one = fit_categorical_binning("c", np.array(["x"] * 100), bad, method="optimal")
    assert one.levels == {"x": 0} and one.iv == 0.0
    assert optimal_blocks([], [], min_count=0, max_bins=3, direction=1) == ([], 0.0)
    with pytest.raises(ValueError, match="direction"):
        optimal_blocks([1.0], [0.0], min_count=0, max_bins=3, direction=2)


@pytest.fixture(scope="module")
def optimal_cards(german_raw: tuple[dict[str, Any], np.ndarray]) -> list[Scorecard]:
    cols, bad = german_raw
    return [
        fit_scorecard(cols, bad, binning_method="optimal", fitted_on="2026-01-01T00:00:00+00:00"),
        fit_scorecard(cols, bad, binning_method="optimal", prebinning="tree",
                      fitted_on="2026-01-01T00:00:00+00:00"),
    ]


def test_optimal_cards_on_german_data(optimal_cards: list[Scorecard], raw_card: Scorecard) -> None:
    greedy_iv = {r["name"]: r["iv"] for r in raw_card.iv_table()}
    for card in optimal_cards:
        opts = card.metadata["options"]
        assert opts["binning_method"] == "optimal"
        assert all(c.coef < 0 for c in card.characteristics)
        if "prebinning" not in opts:  # quantile, the fine classes of greedy: IV never lower
            for row in card.iv_table():
                assert row["iv"] >= greedy_iv[row["name"]] - 1e-9
        assert Scorecard.from_json(card.to_json()).to_json() == card.to_json()
    assert optimal_cards[1].metadata["options"]["prebinning"] == "tree"
    # the default (greedy) card does not record the binning options: absent = greedy/quantile
    assert "binning_method" not in raw_card.metadata["options"]
    assert "prebinning" not in raw_card.metadata["options"]


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_optimal_cards_points_monotone_pd_inside_and_roundtrip(optimal_cards: list[Scorecard], data: Any) -> None:
    for card in optimal_cards:
        row = data.draw(_row_strategy(card))
        for ch in card.characteristics:
            if ch.binning.kind != "numeric" or ch.binning.trend not in ("increasing", "decreasing"):
                continue
            lo, hi = sorted(data.draw(st.lists(finite, min_size=2, max_size=2)))
            r1, r2 = dict(row), dict(row)
            r1[ch.name], r2[ch.name] = lo, hi
            pts = card.score(_columns(card, [r1, r2])).points
            assert pts[1] <= pts[0] if ch.binning.trend == "increasing" else pts[1] >= pts[0]
        rows = data.draw(st.lists(_row_strategy(card), min_size=1, max_size=10))
        cols = _columns(card, rows)
        res = card.score(cols)
        assert np.all((res.pd > 0) & (res.pd < 1))
        again = Scorecard.from_json(card.to_json()).score(cols)
        assert res.points.tobytes() == again.points.tobytes()
        assert np.array_equal(res.reasons, again.reasons)
