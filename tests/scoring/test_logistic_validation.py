"""IRLS logistic regression, AUC/KS and PSI."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.logistic import fit_logistic_l2
from scoring.metrics import auc, ks, psi


def test_irls_solves_penalised_score_equations() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(500, 3))
    y = (rng.random(500) < 1 / (1 + np.exp(-(0.5 + x @ [1.0, -2.0, 0.0])))).astype(float)
    fit = fit_logistic_l2(x, y, l2=2.0)
    assert fit.converged
    p = 1 / (1 + np.exp(-(fit.intercept + x @ fit.coef)))
    grad = np.concatenate([[np.sum(p - y)], x.T @ (p - y) + 2.0 * fit.coef])
    assert np.max(np.abs(grad)) < 1e-8
    assert abs(p.mean() - y.mean()) < 1e-10  # unpenalised intercept calibrates the mean
    assert fit.coef[0] > 0 > fit.coef[1]
    strong = fit_logistic_l2(x, y, l2=1e4)
    assert np.linalg.norm(strong.coef) < np.linalg.norm(fit.coef)


def test_auc_matches_pairwise_definition_with_ties() -> None:
    rng = np.random.default_rng(4)
    r = rng.integers(0, 5, 200).astype(float)
    y = (rng.random(200) < 0.3).astype(float)
    b, g = r[y == 1], r[y == 0]
    brute = (np.sum(b[:, None] > g[None, :]) + 0.5 * np.sum(b[:, None] == g[None, :])) / (
        b.size * g.size
    )
    assert abs(auc(r, y) - brute) < 1e-12


def test_ks_perfect_and_none() -> None:
    y = np.array([0, 0, 1, 1], dtype=float)
    assert ks([1, 2, 3, 4], y) == 1.0
    assert ks([1, 1, 1, 1], y) == 0.0


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=300))
def test_psi_of_sample_against_itself_is_zero(xs: list[float]) -> None:
    assert psi(xs, xs) == 0.0


def test_psi_grows_with_shift() -> None:
    rng = np.random.default_rng(5)
    base = rng.normal(600, 40, 20_000)
    actual = rng.normal(600, 40, 20_000)
    values = [psi(base, actual + s) for s in (0.0, 10.0, 20.0, 40.0, 80.0)]
    assert values[0] < 0.01
    assert all(a < b for a, b in itertools.pairwise(values))
    assert values[-1] > 0.25
