"""Tests of scoring.synthetic_portfolio: seeded, realistic, honest variation as asked."""

from __future__ import annotations

import numpy as np
import pytest

from scoring.synthetic_portfolio import synthetic_portfolio


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


def test_honest_spread_and_biased_segment() -> None:
    a = synthetic_portfolio(3, n_managers=4000, honest_spread=0.25, biased_segment=1, pd_bias=-0.4)
    honest = ~a.is_problem_manager
    sd = np.std(np.log(a.multiplier[honest]))
    assert sd == pytest.approx(0.25, rel=0.05)  # sample sd of ~3800 log-normal draws: se ~1.2 %
    base = synthetic_portfolio(3, n_managers=4000, honest_spread=0.25)
    np.testing.assert_array_equal(base.bad, a.bad)  # the same draws: only the recorded PDs differ
    seg = a.segment == 1
    np.testing.assert_allclose(a.pd[seg], np.clip(base.pd[seg] * 0.6, 1e-4, 0.95), rtol=1e-15)  # one product
    np.testing.assert_array_equal(a.pd[~seg], base.pd[~seg])
    with pytest.raises(ValueError):
        synthetic_portfolio(1, n_managers=10, biased_segment=5)
