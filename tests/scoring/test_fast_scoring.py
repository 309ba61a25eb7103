"""The fast paths of ``Scorecard.score`` against their plain definitions:
categorical lookup (candidate by a few characters + one string comparison) and
reason codes (integer keys), plus ``fit_scorecard(l2="cv")``."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring import Binning, Scorecard, fit_scorecard, load_scorecard
from scoring.binning import _LOOKUP_BLOCK, UNSEEN
from scoring.reason_codes import reason_codes, reason_codes_reference

ALPHABET = "ab c\x00é漢"


def _binning(levels: dict[str, int], missing_bin: int | None) -> Binning:
    k = max([*levels.values(), -1]) + 1 + (missing_bin is not None)
    return Binning(
        name="x", kind="categorical", cuts=(), levels=levels, labels=("l",) * k,
        missing_bin=missing_bin, counts=(1,) * k, bads=(0,) * k, woe=(0.0,) * k,
        iv=0.0, trend="none",
    )


def _reference(levels: dict[str, int], missing_bin: int | None, values: list[Any]) -> np.ndarray:
    miss = UNSEEN if missing_bin is None else missing_bin
    out = []
    for v in values:
        s = "" if v is None else str(v).rstrip("\x00")  # numpy drops trailing NULs
        out.append(miss if s == "" else levels.get(s, UNSEEN))
    return np.asarray(out, dtype=np.intp)


text = st.text(alphabet=ALPHABET, max_size=7)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(text.filter(lambda s: s.rstrip("\x00") != ""), min_size=1, max_size=12, unique=True),
    st.booleans(),
    st.lists(text, max_size=60),
    st.data(),
)
def test_categorical_lookup_matches_dictionary(
    keys: list[str], has_missing: bool, extra: list[str], data: st.DataObject
) -> None:
    keys = sorted({k.rstrip("\x00") for k in keys})
    levels = {k: i % 3 for i, k in enumerate(keys)}
    mb = 3 if has_missing else None
    b = _binning(levels, mb)
    pool = keys + extra + [k[:-1] for k in keys] + [k + "a" for k in keys] + [""]
    picks = data.draw(st.lists(st.integers(0, len(pool) - 1), max_size=80))
    values = [pool[i] for i in picks]
    expected = _reference(levels, mb, values)
    as_u = np.asarray(values, dtype=str) if values else np.zeros(0, dtype="U3")
    for arr in (
        as_u,
        np.asarray([*values, None], dtype=object)[:-1] if values else np.zeros(0, dtype=object),
        as_u.astype(">U" + str(max(as_u.dtype.itemsize // 4, 1))),
        np.repeat(as_u, 2)[::2],  # not contiguous
    ):
        got = b.bin_index(arr)
        assert got.dtype == np.intp
        assert np.array_equal(got, expected)


def test_categorical_lookup_long_labels_many_blocks() -> None:
    keys = ["existing credits paid back duly till now", "existing credits paid back duly",
            "critical account/ other credits existing (not at this bank)", "no credits taken"]
    levels = {k: i for i, k in enumerate(keys)}
    b = _binning(levels, None)
    rng = np.random.default_rng(5)
    pool = [*keys, "existing credits paid back duly till then", "", "z" * 70]
    values = [pool[i] for i in rng.integers(0, len(pool), 3 * _LOOKUP_BLOCK + 17)]
    assert np.array_equal(b.bin_index(np.asarray(values)), _reference(levels, None, values))


def _random_card(rng: np.random.Generator, p: int, round_points: bool) -> tuple[Scorecard, list[np.ndarray]]:
    chars = []
    idx_cols = []
    for j in range(p):
        k = int(rng.integers(1, 6))
        pts = rng.integers(-3, 4, k).astype(float) if round_points else rng.normal(0, 5, k)
        chars.append(
            {
                "name": f"c{j}", "kind": "numeric", "cuts": list(range(k - 1)), "levels": {},
                "labels": ["l"] * k, "missing_bin": None, "counts": [1] * k, "bads": [0] * k,
                "woe": [0.0] * k, "iv": 0.0, "trend": "none", "coef": -1.0,
                "points": [float(v) for v in pts], "unseen_bin": int(np.argmin(pts)),
            }
        )
        idx_cols.append(rng.integers(0, k, 500).astype(np.intp))
    base = Scorecard.from_dict(
        {
            "schema": "scoring.scorecard/1", "version": "t", "odds_direction": "x",
            "scaling": {"base_score": 600.0, "base_odds": 50.0, "pdo": 20.0},
            "intercept": 0.0, "base_points": 500.0,
            "master_scale": load_scorecard().to_dict()["master_scale"],
            "characteristics": chars, "metadata": {},
        }
    )
    return base, idx_cols


@pytest.mark.parametrize("p", [1, 2, 3, 4, 5, 12, 20])
@pytest.mark.parametrize("round_points", [True, False])
def test_reason_codes_match_argmax_definition(p: int, round_points: bool) -> None:
    rng = np.random.default_rng(p * 2 + round_points)
    for _ in range(5):
        card, idx_cols = _random_card(rng, p, round_points)
        fast = reason_codes(card.characteristics, idx_cols, 500)
        ref = reason_codes_reference(card.characteristics, idx_cols, 500)
        assert np.array_equal(fast[0], ref[0])
        assert fast[1].tobytes() == ref[1].tobytes()


def test_score_equals_reference_on_german(
    raw_card: Scorecard, german_raw: tuple[dict[str, Any], np.ndarray]
) -> None:
    cols, _ = german_raw
    rows = np.random.default_rng(3).integers(0, 1000, 5000)
    sub = {k: v[rows] for k, v in cols.items()}
    res = raw_card.score(sub)
    idx = [ch.bin_index(sub[ch.name]) for ch in raw_card.characteristics]
    codes, pts = reason_codes_reference(raw_card.characteristics, idx, rows.size)
    assert np.array_equal(res.reason_codes, codes)
    assert res.reason_points.tobytes() == pts.tobytes()
    total = np.full(rows.size, raw_card.base_points)
    for ch, i in zip(raw_card.characteristics, idx, strict=True):
        total += np.asarray(ch.points)[i]
    assert res.points.tobytes() == total.tobytes()


def test_l2_cv_option(german_raw: tuple[dict[str, Any], np.ndarray]) -> None:
    cols, bad = german_raw
    a = fit_scorecard(cols, bad, l2="cv", fitted_on="2026-01-01T00:00:00+00:00")
    b = fit_scorecard(cols, bad, l2="cv", fitted_on="2026-01-01T00:00:00+00:00")
    assert a.to_json() == b.to_json()  # deterministic
    info = a.metadata["l2_cv"]
    assert info["chosen"] in info["grid"] and len(info["mean_auc"]) == len(info["grid"])
    assert a.metadata["options"]["l2"] == "cv"
    fixed = fit_scorecard(cols, bad, l2=info["chosen"], fitted_on="2026-01-01T00:00:00+00:00")
    assert [c.coef for c in fixed.characteristics] == [c.coef for c in a.characteristics]
    assert Scorecard.from_json(a.to_json()).to_json() == a.to_json()
    with pytest.raises(ValueError):
        fit_scorecard(cols, bad, l2="auto")
