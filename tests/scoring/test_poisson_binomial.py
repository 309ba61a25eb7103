"""Tests of scoring.poisson_binomial (exact and saddlepoint tails, cells) and scoring.normal."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.normal import norm_isf, norm_isf_log, norm_sf
from scoring.peer_calibration import build_cells
from scoring.poisson_binomial import ExactBooks, SaddlepointBooks, poisson_binomial_upper_tail
from scoring.synthetic_portfolio import synthetic_portfolio

pds = st.floats(min_value=1e-4, max_value=1 - 1e-4, allow_nan=False)


def brute_force_tail(p: np.ndarray, k: int) -> float:
    total = 0.0
    for outcome in itertools.product((0, 1), repeat=p.size):
        if sum(outcome) >= k:
            o = np.array(outcome)
            total += float(np.prod(np.where(o == 1, p, 1 - p)))
    return total


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




@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(pds, st.integers(1, 6)), min_size=1, max_size=6), st.integers(-1, 40))
def test_cells_are_binomial_convolutions(cells: list[tuple[float, int]], k: int) -> None:
    """A cell of n trials with one PD is a Binomial: the cells' pmf equals loan by loan."""
    p = np.array([c[0] for c in cells])
    n = np.array([c[1] for c in cells], dtype=np.int64)
    code = np.zeros(p.size, dtype=np.int64)
    up, lo = ExactBooks(p, n, code, np.array([0])).tails(np.array([k]))
    want = brute_force_tail(np.repeat(p, n), k) if n.sum() <= 14 else poisson_binomial_upper_tail(k, np.repeat(p, n), method="exact")[0]
    assert up[0] == pytest.approx(want, rel=1e-10, abs=1e-15)  # the same DP steps, summed in another order
    assert up[0] + lo[0] == pytest.approx(1.0, abs=1e-12)  # the two tails of one pmf


def test_saddlepoint_on_cells_equals_on_loans() -> None:
    """Weights (trial counts) in the cumulants give the tail of the expanded loans."""
    rng = np.random.default_rng(1)
    p = rng.uniform(0.01, 0.3, 40)
    n = rng.integers(1, 20, 40)
    code = np.repeat(np.arange(4), 10)
    k = np.round(np.bincount(code, p * n) * 1.7).astype(np.int64)
    cells = SaddlepointBooks(p, n.astype(float), code, 4).tails(k)[0]
    loans = SaddlepointBooks(np.repeat(p, n), np.ones(n.sum()), np.repeat(code, n), 4).tails(k)[0]
    np.testing.assert_allclose(cells, loans, rtol=1e-9)  # same sums of logs, grouped differently; Newton tol 1e-10


def test_gauss_rule_keeps_moments_and_cumulants() -> None:
    """A 10-point Gauss rule of a book's PD mix: moments to rounding, K(t) to 1e-9 for |t| <= 2."""
    pf = synthetic_portfolio(0, n_managers=300)
    c = build_cells(pf.manager, pf.pd, np.ones(pf.pd.size, dtype=np.int64), pf.bad, None)
    loans = np.bincount(c.manager)
    big = loans > 128
    sel = big[c.manager]
    remap = np.cumsum(big) - 1
    args = (c.pd[sel], c.n[sel].astype(float), remap[c.manager[sel]], int(big.sum()))
    full, gauss = SaddlepointBooks(*args), SaddlepointBooks.gauss(*args, nodes=10)
    assert gauss.p.size < full.p.size / 5
    for a, b in ((full.n, gauss.n), (full.mu, gauss.mu), (full.var, gauss.var), (full.k3, gauss.k3)):
        np.testing.assert_allclose(b, a, rtol=1e-11)  # polynomial moments of degree <= 3 < 2*10: exact up to rounding
    np.testing.assert_array_equal(gauss.log_all, full.log_all)  # kept from the loans themselves
    for t in (-2.0, -0.5, 0.5, 1.0, 2.0):
        for a, b in zip(full.cumulants(np.full(full.m, t)), gauss.cumulants(np.full(full.m, t)), strict=True):
            np.testing.assert_allclose(b, a, rtol=1e-7)  # measured <= 2e-8 at |t| = 2 (K''); geometric in nodes


# ---------------------------------------------------------------- normal tails


def test_norm_isf_inverts_both_tails() -> None:
    q = np.array([1e-300, 1e-100, 1e-10, 1e-3, 0.02, 0.3, 0.5, 0.7, 0.98, 0.999, 1 - 1e-10])
    z = norm_isf(q)
    np.testing.assert_allclose(norm_sf(z), q, rtol=1e-12)  # Acklam + one Halley step: ~1e-13 measured near 1e-300
    np.testing.assert_allclose(norm_sf(-z), 1 - q, rtol=1e-12)  # the lower tail from its own side
    assert norm_isf(np.array([0.0]))[0] == np.inf and norm_isf(np.array([1.0]))[0] == -np.inf
    # the log-space variant agrees where both apply and keeps going below 1e-308
    np.testing.assert_allclose(norm_isf_log(np.log(q[:4])), z[:4], rtol=1e-12)  # same function above 1e-300
    deep = norm_isf_log(np.array([-800.0, -2000.0]))
    assert np.all(np.diff(deep) > 0) and deep[0] > norm_isf(np.array([1e-300]))[0]
