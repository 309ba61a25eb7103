"""Tests of scoring.manager_flags (Poisson-binomial test, BH, funnel) and the generator."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.manager_flags import (
    DEFAULT_FPD_SHARE,
    benjamini_hochberg,
    flag_first_payment_default,
    flag_managers,
    funnel_limits,
    poisson_binomial_upper_tail,
)
from scoring.synthetic_portfolio import synthetic_portfolio

pds = st.floats(min_value=1e-4, max_value=1 - 1e-4, allow_nan=False)


def brute_force_tail(p: np.ndarray, k: int) -> float:
    total = 0.0
    for outcome in itertools.product((0, 1), repeat=p.size):
        if sum(outcome) >= k:
            o = np.array(outcome)
            total += float(np.prod(np.where(o == 1, p, 1 - p)))
    return total


def reference_bh(p: list[float]) -> list[float]:
    """Textbook BH: q_i = min over j with p_j >= p_i of m p_j / rank_j, capped at 1."""
    m = len(p)
    ranked = sorted(range(m), key=lambda i: p[i])
    rank = {i: r + 1 for r, i in enumerate(ranked)}
    out = []
    for i in range(m):
        q = min(m * p[j] / rank[j] for j in range(m) if rank[j] >= rank[i])
        out.append(min(q, 1.0))
    return out


# ---------------------------------------------------------------- Poisson-binomial tail


@settings(max_examples=60, deadline=None)
@given(st.lists(pds, min_size=1, max_size=9), st.integers(-1, 11))
def test_exact_tail_matches_brute_force(p_list: list[float], k: int) -> None:
    p = np.array(p_list)
    got = poisson_binomial_upper_tail(k, p, method="exact")[0]
    assert got == pytest.approx(brute_force_tail(p, k), rel=1e-10, abs=1e-15)


@settings(max_examples=20, deadline=None)
@given(st.lists(st.lists(pds, min_size=1, max_size=7), min_size=1, max_size=6), st.data())
def test_exact_tail_batched_groups(groups: list[list[float]], data: st.DataObject) -> None:
    p = np.concatenate([np.array(g) for g in groups])
    code = np.repeat(np.arange(len(groups)), [len(g) for g in groups])
    k = np.array([data.draw(st.integers(0, len(g) + 1)) for g in groups])
    got = poisson_binomial_upper_tail(k, p, code, method="exact")
    want = [brute_force_tail(np.array(g), int(kk)) for g, kk in zip(groups, k, strict=True)]
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-15)


def test_exact_tail_equal_pds_is_binomial() -> None:
    n, p = 40, 0.1
    k = np.arange(0, n + 2)
    from math import comb

    want = [sum(comb(n, j) * p**j * (1 - p) ** (n - j) for j in range(kk, n + 1)) for kk in k]
    code = np.repeat(np.arange(k.size), n)
    got = poisson_binomial_upper_tail(k, np.full(k.size * n, p), code, method="exact")
    np.testing.assert_allclose(got, want, rtol=1e-11, atol=1e-300)


@pytest.mark.parametrize("n", [129, 400, 1500])
@pytest.mark.parametrize("mean_p", [0.01, 0.05, 0.15])
def test_saddlepoint_close_to_exact(n: int, mean_p: float) -> None:
    """Documented tolerance for books above the exact threshold (128 loans): relative
    error < 2 % wherever the tail is < 0.5; absolute error < 0.015, and < 2e-3 when the
    expected count is >= 5 (the tested managers)."""
    rng = np.random.default_rng(n + int(mean_p * 1000))
    p = np.clip(rng.beta(mean_p * 40, (1 - mean_p) * 40, n), 1e-6, 1 - 1e-6)
    mu, sd = p.sum(), np.sqrt((p * (1 - p)).sum())
    ks = np.arange(0, int(mu + 10 * sd + 5))
    code = np.repeat(np.arange(ks.size), n)
    pp = np.tile(p, ks.size)
    ex = poisson_binomial_upper_tail(ks, pp, code, method="exact")
    sp = poisson_binomial_upper_tail(ks, pp, code, method="saddlepoint")
    assert np.max(np.abs(sp - ex)) < (2e-3 if mu >= 5 else 0.015)
    small = (ex < 0.5) & (ex > 1e-280)
    assert small.sum() > 5
    assert np.max(np.abs(sp[small] / ex[small] - 1)) < 0.02


def test_saddlepoint_edge_counts() -> None:
    p = np.full(200, 0.03)
    ks = np.array([-3, 0, 200, 201])
    code = np.repeat(np.arange(4), 200)
    got = poisson_binomial_upper_tail(ks, np.tile(p, 4), code, method="saddlepoint")
    np.testing.assert_allclose(got, [1.0, 1.0, 0.03**200, 0.0], rtol=1e-9)


def test_tail_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        poisson_binomial_upper_tail(1, np.array([0.0, 0.5]))
    with pytest.raises(ValueError):
        poisson_binomial_upper_tail([1, 1], np.array([0.2, 0.5]), np.array([0, 0]))


# ---------------------------------------------------------------- Benjamini-Hochberg


@settings(max_examples=80, deadline=None)
@given(st.lists(st.floats(min_value=0, max_value=1, allow_nan=False), min_size=1, max_size=40))
def test_bh_matches_reference_and_is_monotone(p_list: list[float]) -> None:
    q = benjamini_hochberg(p_list)
    np.testing.assert_allclose(q, reference_bh(p_list), rtol=1e-12, atol=0)
    p = np.array(p_list)
    order = np.argsort(p, kind="stable")
    assert np.all(np.diff(q[order]) >= -1e-15)
    assert np.all(q >= p - 1e-15) and np.all(q <= 1.0)


def test_bh_known_values() -> None:
    q = benjamini_hochberg([0.01, 0.04, 0.03, 0.5])
    np.testing.assert_allclose(q, [0.04, 0.04 * 4 / 3, 0.04 * 4 / 3, 0.5], rtol=1e-12)  # a few float products


# ---------------------------------------------------------------- flag_managers


def make_book(
    rng: np.random.Generator, n: int, pd_mean: float, multiplier: float
) -> tuple[np.ndarray, np.ndarray]:
    pd = np.clip(rng.beta(pd_mean * 40, (1 - pd_mean) * 40, n), 1e-4, 0.9)
    bad = (rng.random(n) < np.minimum(multiplier * pd, 0.99)).astype(np.int64)
    return pd, bad


def test_planted_3x_manager_flagged_fair_one_not() -> None:
    rng = np.random.default_rng(7)
    ids, pds_, bads = [], [], []
    for m in range(40):  # fair managers across segments
        pd, bad = make_book(rng, 300, (0.01, 0.05, 0.15)[m % 3], 1.0)
        ids.append(np.full(300, f"fair{m}"))
        pds_.append(pd)
        bads.append(bad)
    pd, bad = make_book(rng, 400, 0.05, 3.0)  # E ~ 20, O ~ 60
    ids.append(np.full(400, "bad_branch"))
    pds_.append(pd)
    bads.append(bad)
    pd, bad = make_book(rng, 1500, 0.01, 3.0)  # VIP book: E ~ 15, O ~ 45
    ids.append(np.full(1500, "bad_vip"))
    pds_.append(pd)
    bads.append(bad)
    rep = flag_managers(np.concatenate(ids), np.concatenate(pds_), np.concatenate(bads))
    flagged = set(rep.managers[rep.flagged].tolist())
    assert flagged == {"bad_branch", "bad_vip"}
    i = int(np.flatnonzero(rep.managers == "bad_vip")[0])
    assert rep.reasons[i].startswith("flagged: problem loans ")
    assert rep.ratio[i] > 2.0 and rep.q_value[i] <= 0.05
    j = int(np.flatnonzero(rep.managers == "fair1")[0])
    assert rep.reasons[j].startswith("within expectation")
    assert list(rep.managers[rep.shortlist()]) != []
    assert set(rep.managers[rep.shortlist()].tolist()) == flagged


def test_small_expected_never_flagged_and_outside_family() -> None:
    rng = np.random.default_rng(3)
    # 30 managers with E ~ 1 and *all* loans bad: extreme p-values, still not flagged
    n = 20
    manager = np.repeat(np.arange(30), n)
    pd = rng.uniform(0.02, 0.08, manager.size)
    bad = np.ones(manager.size, dtype=np.int64)
    rep = flag_managers(manager, pd, bad, min_expected=5.0)
    assert not rep.flagged.any() and not rep.tested.any()
    assert np.all(np.isnan(rep.q_value))
    assert np.all(rep.p_value < 1e-10)
    assert rep.reasons[0].startswith("insufficient data: ")
    assert "< 5" in rep.reasons[0]


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**31 - 1), st.floats(min_value=1.0, max_value=30.0))
def test_min_expected_respected_on_random_portfolios(seed: int, min_expected: float) -> None:
    pf = synthetic_portfolio(seed, n_managers=60, median_loans=80)
    rep = flag_managers(pf.manager, pf.pd, pf.bad, min_expected=min_expected)
    assert not np.any(rep.flagged & (rep.expected < min_expected))
    assert np.array_equal(rep.tested, rep.expected >= min_expected)
    assert np.all(np.isnan(rep.q_value[~rep.tested]))
    # BH family = tested managers only
    np.testing.assert_allclose(
        rep.q_value[rep.tested], benjamini_hochberg(rep.p_value[rep.tested]), rtol=1e-12
    )  # the same arithmetic on the same p-values


def test_false_flag_rate_under_null() -> None:
    """bad ~ Bernoulli(pd): any flag is false; BH at 0.05 bounds P(any flag) by 0.05."""
    runs, any_flag = 200, 0
    for seed in range(runs):
        rng = np.random.default_rng(10_000 + seed)
        sizes = np.clip(rng.lognormal(np.log(150), 1.0, 60).astype(int), 5, 3000)
        manager = np.repeat(np.arange(60), sizes)
        seg_mean = rng.choice([0.01, 0.05, 0.15], 60)[manager]
        pd = np.clip(rng.beta(seg_mean * 40, (1 - seg_mean) * 40), 1e-4, 0.9)
        bad = (rng.random(pd.size) < pd).astype(np.int64)
        rep = flag_managers(manager, pd, bad)
        any_flag += int(rep.flagged.any())
    # expected <= 0.05 * 200 = 10 (less: discrete p-values are conservative);
    # 18 is beyond the 99.5 % point of Binomial(200, 0.05)
    assert any_flag <= 18


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 2**31 - 1))
def test_invariant_to_loan_order(seed: int) -> None:
    pf = synthetic_portfolio(seed, n_managers=40, median_loans=150, problem_share=0.2)
    perm = np.random.default_rng(seed + 1).permutation(pf.manager.size)
    a = flag_managers(pf.manager, pf.pd, pf.bad)
    b = flag_managers(pf.manager[perm], pf.pd[perm], pf.bad[perm])
    assert np.array_equal(a.managers, b.managers)
    assert np.array_equal(a.observed, b.observed)
    assert np.array_equal(a.flagged, b.flagged)
    np.testing.assert_allclose(a.expected, b.expected, rtol=1e-12)
    np.testing.assert_allclose(a.p_value, b.p_value, rtol=1e-5, atol=1e-300)
    np.testing.assert_allclose(a.q_value, b.q_value, rtol=1e-5, atol=1e-300)
    np.testing.assert_allclose(a.upper_998, b.upper_998, rtol=1e-5)


def test_str_and_int_ids_agree() -> None:
    pf = synthetic_portfolio(5, n_managers=150)
    a = flag_managers(pf.manager, pf.pd, pf.bad)
    # zero-padded strings keep the np.unique order identical to the ints
    b = flag_managers(np.char.add("m", np.char.zfill(pf.manager.astype(str), 5)), pf.pd, pf.bad)
    assert b.managers.dtype.kind == "U" and a.managers.dtype.kind == "i"
    assert b.managers[0] == "m" + str(a.managers[0]).zfill(5)
    assert np.array_equal(a.flagged, b.flagged)
    np.testing.assert_allclose(a.p_value, b.p_value, rtol=1e-9, atol=1e-300)
    assert a.flagged.any()  # generator plants problem managers; some are found


def test_report_fields_aligned_and_consistent() -> None:
    pf = synthetic_portfolio(11, n_managers=300)
    rep = flag_managers(pf.manager, pf.pd, pf.bad)
    m = rep.managers.size
    for name in (
        "loans", "observed", "expected", "variance", "ratio", "z", "z_overdispersed",
        "p_value", "q_value", "tested", "flagged", "tail_method", "reasons",
        "lower_95", "upper_95", "lower_998", "upper_998",
    ):
        assert getattr(rep, name).shape == (m,), name
    np.testing.assert_allclose(rep.ratio, rep.observed / rep.expected, rtol=1e-12)  # one division
    assert rep.loans.sum() == pf.manager.size and rep.observed.sum() == pf.bad.sum()
    np.testing.assert_allclose(rep.expected.sum(), pf.pd.sum(), rtol=1e-9)  # sums in another order
    assert set(np.unique(rep.tail_method)) <= {"exact", "saddlepoint"}
    assert np.array_equal(rep.tail_method == "exact", rep.loans <= 128)
    assert np.isfinite(rep.phi) and rep.tau2 >= 0
    assert np.all(rep.lower_998 <= rep.lower_95) and np.all(rep.upper_95 <= rep.upper_998)
    for r, f, t in zip(rep.reasons, rep.flagged, rep.tested, strict=True):
        assert r.startswith("flagged:") == bool(f)
        assert r.startswith("insufficient data:") == (not t)


def test_null_ratio_is_stricter() -> None:
    pf = synthetic_portfolio(2, n_managers=400)
    a = flag_managers(pf.manager, pf.pd, pf.bad)
    b = flag_managers(pf.manager, pf.pd, pf.bad, null_ratio=1.2)
    assert np.all(b.p_value >= a.p_value - 1e-12)
    assert not np.any(b.flagged & ~a.flagged)
    with pytest.raises(ValueError):
        flag_managers(pf.manager, pf.pd, pf.bad, null_ratio=0.5)


def test_input_validation() -> None:
    with pytest.raises(ValueError):
        flag_managers(np.array([1, 1]), np.array([0.1, 1.0]), np.array([0, 1]))
    with pytest.raises(ValueError):
        flag_managers(np.array([1, 1]), np.array([0.1, 0.2]), np.array([0, 2]))
    with pytest.raises(ValueError):
        flag_managers(np.array([1]), np.array([0.1, 0.2]), np.array([0, 1]))
    with pytest.raises(ValueError):
        flag_managers(np.array([1, 2]), np.array([0.1, 0.2]), np.array([0, 1]), fdr=0.0)


# ---------------------------------------------------------------- first-payment default


def test_first_payment_default_uses_share_of_pd() -> None:
    pf = synthetic_portfolio(4, n_managers=300)
    rep = flag_first_payment_default(pf.manager, pf.pd, pf.fpd)
    base = flag_managers(pf.manager, pf.pd * DEFAULT_FPD_SHARE, pf.fpd)
    np.testing.assert_allclose(rep.expected, base.expected, rtol=1e-9)  # sums in another order
    np.testing.assert_allclose(rep.p_value, base.p_value, rtol=1e-7)  # tails of sums in another order
    assert np.array_equal(rep.flagged, base.flagged)
    assert rep.outcome == "first-payment defaults"
    flagged = rep.reasons[rep.flagged]
    assert flagged.size and all(r.startswith("flagged: first-payment defaults") for r in flagged)
    truth = pf.is_problem_manager[rep.managers.astype(int)]
    assert np.mean(truth[rep.flagged]) >= 0.8
    half = flag_first_payment_default(pf.manager, pf.pd, pf.fpd, fpd_share=0.125)
    np.testing.assert_allclose(half.expected, rep.expected / 2, rtol=1e-12)  # halved PDs, same sums
    with pytest.raises(ValueError):
        flag_first_payment_default(pf.manager, pf.pd, pf.fpd, fpd_share=0.0)


# ---------------------------------------------------------------- funnel


def test_funnel_widens_as_expected_falls() -> None:
    e = np.geomspace(1.0, 1000.0, 50)
    for tau2 in (0.0, 0.05):
        f = funnel_limits(e, overdispersion=False, tau2=tau2)
        assert np.all(np.diff(f.upper_998) < 0) and np.all(np.diff(f.upper_95) < 0)
        assert np.all(np.diff(f.lower_95) >= 0)
        assert np.all(f.upper_95 < f.upper_998)
    f0 = funnel_limits(e, overdispersion=False)
    np.testing.assert_allclose(f0.upper_95, 1 + 1.959963984540054 / np.sqrt(e), rtol=1e-12)  # closed form
    np.testing.assert_allclose(f0.upper_998, 1 + 3.090232306167813 / np.sqrt(e), rtol=1e-12)  # closed form


def test_funnel_overdispersion_estimate() -> None:
    rng = np.random.default_rng(0)
    e = rng.uniform(20, 500, 400)
    # no over-dispersion: Poisson counts -> phi near (winsorised) 1 or below, tau2 0
    f = funnel_limits(e, observed=rng.poisson(e))
    assert f.phi < 1.1 and f.tau2 == 0.0
    # ratio sd 0.3 between units -> tau2 detected, limits wider than Poisson
    obs = rng.poisson(e * np.exp(rng.normal(0, 0.3, e.size)))
    g = funnel_limits(e, observed=obs)
    assert g.phi > 1.5 and 0.02 < g.tau2 < 0.2
    assert np.all(g.upper_998 > funnel_limits(e, overdispersion=False).upper_998)
    # hand computation of Spiegelhalter's estimator
    z = (obs / e - 1) * np.sqrt(e)
    lo, hi = np.quantile(z, [0.1, 0.9])
    phi = np.mean(np.clip(z, lo, hi) ** 2)
    w = e
    tau2 = (e.size * phi - (e.size - 1)) / (w.sum() - (w**2).sum() / w.sum())
    assert g.phi == pytest.approx(phi, rel=1e-9) and g.tau2 == pytest.approx(tau2, rel=1e-9)  # same formula, other order
    np.testing.assert_allclose(g.z_overdispersed, (obs / e - 1) / np.sqrt(1 / e + tau2), rtol=1e-9)  # closed form
    with pytest.raises(ValueError):
        funnel_limits(e)


# ---------------------------------------------------------------- generator


def test_synthetic_portfolio_seeded_and_realistic() -> None:
    a = synthetic_portfolio(9, n_managers=500)
    b = synthetic_portfolio(9, n_managers=500)
    assert np.array_equal(a.bad, b.bad) and np.array_equal(a.pd, b.pd)
    assert not np.array_equal(a.bad, synthetic_portfolio(10, n_managers=500).bad)
    assert np.all((a.pd > 0) & (a.pd < 1))
    assert np.all(a.fpd <= a.bad)
    sizes = np.bincount(a.manager)
    assert sizes.min() >= 3 and sizes.max() > 1000
    for seg, (lo, hi) in enumerate(((0.005, 0.015), (0.03, 0.08), (0.08, 0.20))):
        assert lo * 0.8 < a.pd[a.segment == seg].mean() < hi * 1.2
    prob = a.is_problem_manager
    assert prob.any() and len(set(a.primary_segment[prob].tolist())) == 3
    assert np.all((a.multiplier[prob] >= 1.8) & (a.multiplier[prob] <= 3.0))
