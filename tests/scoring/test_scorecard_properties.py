"""Property tests of fitted cards: monotone points, PD range, exact JSON round trip,
reason codes, grades and the master scale."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring import DEFAULT_MASTER_SCALE, Scorecard, load_scorecard
from scoring.reason_codes import MAX_REASONS

DEFAULT = load_scorecard()

finite = st.floats(-1e7, 1e7, allow_nan=False)
value = st.one_of(finite, st.just(float("nan")))


def _row_strategy(card: Scorecard) -> st.SearchStrategy[dict[str, Any]]:
    parts: dict[str, st.SearchStrategy[Any]] = {}
    for ch in card.characteristics:
        if ch.binning.kind == "numeric":
            parts[ch.name] = value
        else:
            parts[ch.name] = st.one_of(
                st.sampled_from(sorted(ch.binning.levels)), st.sampled_from(["", "unseen level"])
            )
    return st.fixed_dictionaries(parts)


def _columns(card: Scorecard, rows: list[dict[str, Any]]) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for ch in card.characteristics:
        vals = [r[ch.name] for r in rows]
        out[ch.name] = (
            np.array(vals, dtype=float) if ch.binning.kind == "numeric" else np.array(vals, dtype=str)
        )
    return out


def _both_cards(raw_card: Scorecard) -> list[Scorecard]:
    return [DEFAULT, raw_card]


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_points_monotone_in_monotone_numeric_characteristics(raw_card: Scorecard, data: Any) -> None:
    for card in _both_cards(raw_card):
        row = data.draw(_row_strategy(card))
        for ch in card.characteristics:
            if ch.binning.kind != "numeric" or ch.binning.trend not in ("increasing", "decreasing"):
                continue
            lo, hi = sorted(data.draw(st.lists(finite, min_size=2, max_size=2)))
            r1, r2 = dict(row), dict(row)
            r1[ch.name], r2[ch.name] = lo, hi
            pts = card.score(_columns(card, [r1, r2])).points
            if ch.binning.trend == "increasing":  # bad rate rises with the value
                assert pts[1] <= pts[0]
            else:
                assert pts[1] >= pts[0]


def test_some_numeric_characteristics_are_monotone(raw_card: Scorecard) -> None:
    for card in (DEFAULT, raw_card):
        trends = {c.binning.trend for c in card.characteristics if c.binning.kind == "numeric"}
        assert trends & {"increasing", "decreasing"}


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_pd_strictly_inside_unit_interval_and_roundtrip_bit_identical(
    raw_card: Scorecard, data: Any
) -> None:
    for card in _both_cards(raw_card):
        rows = data.draw(st.lists(_row_strategy(card), min_size=1, max_size=20))
        cols = _columns(card, rows)
        res = card.score(cols)
        assert np.all((res.pd > 0) & (res.pd < 1))
        again = Scorecard.from_json(card.to_json()).score(cols)
        assert res.points.tobytes() == again.points.tobytes()
        assert res.pd.tobytes() == again.pd.tobytes()
        assert np.array_equal(res.grade, again.grade)
        assert np.array_equal(res.reasons, again.reasons)


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_reason_codes_are_lost_points_ordered(raw_card: Scorecard, data: Any) -> None:
    for card in _both_cards(raw_card):
        rows = data.draw(st.lists(_row_strategy(card), min_size=1, max_size=10))
        cols = _columns(card, rows)
        res = card.score(cols)
        assert res.reasons.shape == (len(rows), MAX_REASONS)
        for i in range(len(rows)):
            losses = {}
            for ch in card.characteristics:
                b = ch.bin_index(cols[ch.name][i : i + 1])[0]
                losses[ch.name] = ch.max_points - ch.points[b]
            reasons = res.reasons_of(i)
            assert len(reasons) <= MAX_REASONS
            assert len(set(reasons)) == len(reasons)
            got = [losses[r] for r in reasons]
            assert all(v > 0 for v in got)
            assert got == sorted(got, reverse=True)
            assert np.allclose(res.reason_points[i, : len(got)], got)
            # nothing left out that lost more than the last reason given
            n_lost = sum(v > 0 for v in losses.values())
            assert len(reasons) == min(MAX_REASONS, n_lost)
            if reasons:
                others = [v for k, v in losses.items() if k not in reasons]
                assert all(v <= got[-1] for v in others)


def test_unseen_and_missing_without_training_bin_go_to_worst_bin() -> None:
    ch = next(c for c in DEFAULT.characteristics if c.binning.kind == "categorical")
    worst = int(np.argmin(ch.points))
    assert ch.unseen_bin == worst
    assert ch.bin_index(["never seen"]).tolist() == [worst]
    if ch.binning.missing_bin is None:
        assert ch.bin_index([""]).tolist() == [worst]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(0, 1000, allow_nan=False), min_size=2, max_size=50, unique=True))
def test_master_scale_pd_falls_strictly_as_points_rise(points: list[float]) -> None:
    pts = np.sort(np.round(np.asarray(points), 2))
    pts = np.unique(pts)
    # 0..1000 covers every total the card can give (checked below) without the PD clip
    lo = DEFAULT.base_points + sum(min(c.points) for c in DEFAULT.characteristics)
    hi = DEFAULT.base_points + sum(max(c.points) for c in DEFAULT.characteristics)
    assert 0 <= lo < hi <= 1000
    pd = DEFAULT.pd_from_points(pts)
    assert np.all(np.diff(pd) < 0)
    gi = DEFAULT.master_scale.grade_index(pd)
    assert np.all(np.diff(gi) <= 0)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(0, 1, allow_nan=False), min_size=1, max_size=100))
def test_grades_ordered_by_pd(pds: list[float]) -> None:
    p = np.sort(np.asarray(pds))
    idx = DEFAULT_MASTER_SCALE.grade_index(p)
    assert np.all(np.diff(idx) >= 0)
    grades = DEFAULT_MASTER_SCALE.grade_for_pd(p)
    for g, v in zip(grades, p, strict=True):
        lo, hi = DEFAULT_MASTER_SCALE.pd_range(str(g))
        assert lo <= v < hi or (g == "D" and v >= 1.0)


def test_master_scale_shape() -> None:
    ms = DEFAULT_MASTER_SCALE
    assert len(ms.grades) >= 7 and ms.default_grade == "D"
    assert np.all(np.diff(ms.representative_pd()) > 0)
    assert ms.grade_for_pd(1.0) == "D"
    bounds = DEFAULT.grade_points_bounds()
    lows = [bounds[g][0] for g in ms.grades]
    assert all(a > b for a, b in itertools.pairwise(lows))  # better grade, more points
    with pytest.raises(ValueError):
        ms.grade_index([float("nan")])


def test_score_requires_all_characteristics_and_equal_lengths() -> None:
    cols = {n: np.zeros(2) for n in DEFAULT.names}
    with pytest.raises(KeyError):
        DEFAULT.score({})
    bad_len = dict(cols)
    bad_len[DEFAULT.names[-1]] = np.zeros(3)
    with pytest.raises((ValueError, KeyError)):
        DEFAULT.score(bad_len)
