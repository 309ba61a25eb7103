"""Binning and WoE: edge cases and the rules the fitter promises."""

from __future__ import annotations

import numpy as np
import pytest

from scoring.binning import UNSEEN
from scoring.binning_fit import fit_categorical_binning, fit_numeric_binning
from scoring.woe import woe_iv


def _data(n: int = 2000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    bad = (rng.random(n) < 1 / (1 + np.exp(-(x - 1)))).astype(float)
    return x, bad


def test_woe_sign_and_iv() -> None:
    woe, iv = woe_iv([90, 10], [10, 90])
    assert woe[0] > 0 > woe[1]
    assert iv > 1
    assert woe_iv([50], [50])[1] == 0.0


def test_numeric_monotone_min_share_max_bins() -> None:
    x, bad = _data()
    b = fit_numeric_binning("x", x, bad, min_bin_share=0.05, max_bins=5)
    assert b.trend == "increasing"
    rates = np.array(b.bads) / np.array(b.counts)
    assert np.all(np.diff(rates) > 0)
    assert np.all(np.diff(b.woe) < 0)
    assert min(b.counts) >= 0.05 * x.size
    assert b.n_value_bins <= 5
    assert b.missing_bin is None
    assert sum(b.counts) == x.size


def test_decreasing_trend_detected() -> None:
    x, bad = _data()
    b = fit_numeric_binning("x", -x, bad)
    assert b.trend == "decreasing"
    assert np.all(np.diff(np.array(b.bads) / np.array(b.counts)) < 0)


def test_constant_column_is_one_bin_iv_zero() -> None:
    bad = np.array([0, 1] * 50, dtype=float)
    b = fit_numeric_binning("c", np.full(100, 3.0), bad)
    assert b.n_bins == 1 and b.cuts == () and b.iv == 0.0
    assert np.all(b.bin_index([-1e9, 3.0, 1e9]) == 0)


def test_all_missing_numeric_gets_only_missing_bin() -> None:
    bad = np.array([0, 1] * 50, dtype=float)
    b = fit_numeric_binning("m", np.full(100, np.nan), bad)
    assert b.n_value_bins == 0 and b.missing_bin == 0 and b.iv == 0.0
    assert b.bin_index([np.nan]).tolist() == [0]
    assert b.bin_index([1.0]).tolist() == [UNSEEN]


def test_missing_values_get_their_own_bin() -> None:
    x, bad = _data()
    x = x.copy()
    x[:300] = np.nan
    b = fit_numeric_binning("x", x, bad)
    assert b.missing_bin == b.n_bins - 1
    assert b.labels[b.missing_bin] == "missing"
    assert b.counts[b.missing_bin] == 300
    assert b.bin_index([np.nan, 0.0]).tolist()[0] == b.missing_bin


def test_single_category() -> None:
    bad = np.array([0, 1, 0, 0] * 25, dtype=float)
    b = fit_categorical_binning("c", np.array(["x"] * 100), bad)
    assert b.n_bins == 1 and b.iv == 0.0 and b.levels == {"x": 0}
    assert b.bin_index(["x", "y", ""]).tolist() == [0, UNSEEN, UNSEEN]


def test_categorical_grouping_min_share_and_missing() -> None:
    rng = np.random.default_rng(1)
    levels = np.array(["a", "b", "c", "d", "rare", ""])
    p_bad = {"a": 0.1, "b": 0.15, "c": 0.4, "d": 0.6, "rare": 0.5, "": 0.3}
    s = rng.choice(levels, size=3000, p=[0.3, 0.3, 0.2, 0.15, 0.01, 0.04])
    bad = (rng.random(s.size) < np.vectorize(p_bad.get)(s)).astype(float)
    b = fit_categorical_binning("c", s, bad, min_bin_share=0.05)
    assert b.missing_bin is not None and b.counts[b.missing_bin] == int((s == "").sum())
    vb = b.n_value_bins
    assert min(b.counts[:vb]) >= 0.05 * s.size
    rates = np.array(b.bads[:vb]) / np.array(b.counts[:vb])
    assert np.all(np.diff(rates) > 0)  # groups sorted by bad rate
    assert set(b.levels) == {"a", "b", "c", "d", "rare"}
    assert b.bin_index([None, "zzz"]).tolist() == [b.missing_bin, UNSEEN]


def test_business_order_is_enforced() -> None:
    # "mid" is observed safer than "best": the order pools them
    s = np.array(["best"] * 100 + ["mid"] * 100 + ["worst"] * 100)
    bad = np.array([1] * 30 + [0] * 70 + [1] * 10 + [0] * 90 + [1] * 60 + [0] * 40, dtype=float)
    b = fit_categorical_binning("h", s, bad, order=("best", "mid", "worst"), min_bin_share=0.0)
    assert b.levels["best"] == b.levels["mid"] != b.levels["worst"]
    with pytest.raises(ValueError, match="not in the given order"):
        fit_categorical_binning("h", s, bad, order=("best", "mid"))


def test_shape_mismatch_raises() -> None:
    with pytest.raises(ValueError):
        fit_numeric_binning("x", np.zeros(3), np.zeros(4))
