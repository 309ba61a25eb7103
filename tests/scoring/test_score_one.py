"""The scalar path for one applicant against the array path it must reproduce:
``Scorecard.score_one(values)`` equals ``Scorecard.score({k: [v]})`` at row 0 bit
for bit, on random applicants (missing, unseen, cut points and their neighbouring
floats, extreme and odd-typed values). ``application_values`` against
``application_columns``: test_application_values.py."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoring import (
    Scorecard,
    SingleScore,
    fit_scorecard,
    load_scorecard,
)
from scoring.reason_codes import MAX_REASONS
from scoring.scalar_card import BY_ARRAY, CATEGORICAL, NUMERIC
from scoring.scorecard import PD_MEMO_LIMIT

SHIPPED = load_scorecard()
FITTED_ON = "2026-01-01T00:00:00+00:00"
# the hand-built cards with inf / NaN points warn in numpy's array path
pytestmark = pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
#: several cards per example
MULTI_CARD = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ---------------------------------------------------------------- the array path


def _array_one(card: Scorecard, values: Mapping[str, object]) -> SingleScore:
    """What the service did before: score one row, read row 0."""
    res = card.score({k: [v] for k, v in values.items()})
    assert len(res) == 1
    return SingleScore(float(res.points[0]), float(res.pd[0]), str(res.grade[0]), res.reasons_of(0))


def _same_outcome(expected: Callable[[], Any], got: Callable[[], Any]) -> tuple[Any, Any] | None:
    """Both results, or None after checking both raise the same exception."""
    try:
        e = expected()
    except Exception as exc:  # the array path rejects it: so must the scalar path
        with pytest.raises(type(exc)) as info:
            got()
        if isinstance(exc, KeyError) or "unknown values" in str(exc):
            assert str(info.value) == str(exc)
        return None
    return e, got()


def assert_score_one_matches(card: Scorecard, values: Mapping[str, object]) -> None:
    both = _same_outcome(lambda: _array_one(card, values), lambda: card.score_one(values))
    if both is None:
        return
    exp, res = both
    assert isinstance(res, SingleScore)
    assert type(res.points) is float and type(res.pd) is float and type(res.grade) is str
    assert res.points.hex() == exp.points.hex()  # bit for bit (-0.0 too)
    assert res.pd.hex() == exp.pd.hex()
    assert res.grade == exp.grade
    assert res.reasons == exp.reasons
    assert len(res.reasons) <= MAX_REASONS


# ---------------------------------------------------------------- cards


def _card(chars: list[dict[str, Any]], base_points: float = 500.0) -> Scorecard:
    return Scorecard.from_dict(
        {
            "schema": "scoring.scorecard/1", "version": "t", "odds_direction": "x",
            "scaling": {"base_score": 600.0, "base_odds": 50.0, "pdo": 20.0},
            "intercept": 0.0, "base_points": base_points,
            "master_scale": SHIPPED.to_dict()["master_scale"],
            "characteristics": chars, "metadata": {},
        }
    )


def _char(
    name: str, points: list[float], *, cuts: list[float] | None = None,
    levels: dict[str, int] | None = None, missing_bin: int | None = None, unseen_bin: int | None = None,
) -> dict[str, Any]:
    k = len(points)
    return {
        "name": name, "kind": "numeric" if levels is None else "categorical",
        "cuts": cuts or [], "levels": levels or {}, "labels": ["l"] * k, "missing_bin": missing_bin,
        "counts": [1] * k, "bads": [0] * k, "woe": [0.0] * k, "iv": 0.0, "trend": "none",
        "coef": -1.0, "points": points,
        "unseen_bin": int(np.argmin(points)) if unseen_bin is None else unseen_bin,
    }


def _hand_cards() -> dict[str, Scorecard]:
    """Cards the fitter does not make but a JSON file can hold."""
    ties = _card(
        [
            _char("a", [5.0, 0.0, 5.0], cuts=[1.0, 2.0]),
            _char("b", [5.0, 0.0], cuts=[0.0]),
            _char("c", [0.0, 5.0, 5.0], levels={"x": 0, "y": 1, "z": 2}, missing_bin=2),
            _char("d", [-1.0, 4.0], levels={"x": 0, "": 1}),  # "" is a level, no missing bin
            _char("e", [0.25, 0.1 + 0.2, -1e-300, 1e300], cuts=[-1.0, -1.0, 3.5]),  # repeated cut
            _char("f", [5.0, 0.0], cuts=[0.5]),
            _char("g", [3.0], cuts=[], missing_bin=0),  # no value bins: only missing
        ],
        base_points=0.1,
    )
    nul = _card(
        [
            _char("n", [1.0, 2.0, 0.0], levels={"a\x00": 0, "b": 1}),  # level ending in NUL
            _char("m", [0.5, 7.0, 1.0], cuts=[2.0, 1.0]),  # unsorted cuts
            _char("k", [2.0, 1.0, 3.0, 0.0, 1.5], cuts=[-1.0, 0.0, 1.0, 2.0]),
        ]
    )
    inf = _card(
        [
            _char("p", [math.inf, 0.0, -3.0], cuts=[0.0, 10.0]),
            _char("q", [1.0, 2.0], levels={"u": 0, "v": 1}),
            _char("r", [-math.inf, 1.0], cuts=[0.0]),
        ]
    )
    nan = _card([_char("s", [math.nan, 1.0, 2.0], cuts=[0.0, 1.0]), _char("t", [4.0, 1.0, 0.0], cuts=[0.0, 1.0])])
    rng = np.random.default_rng(7)
    random_chars = []
    for j in range(12):
        k = int(rng.integers(1, 7))
        pts = [float(v) for v in rng.normal(0, 5, k)]
        if j % 3 == 0:
            levels = {f"L{i}": i % k for i in range(k + 2)}
            random_chars.append(_char(f"c{j}", [*pts, -9.0], levels=levels, missing_bin=k))
        else:
            random_chars.append(_char(f"c{j}", pts, cuts=sorted(float(v) for v in rng.normal(0, 3, k - 1))))
    return {
        "ties": ties, "nul-level": nul, "inf-points": inf, "nan-points": nan,
        "random-float": _card(random_chars, base_points=float(rng.normal(500, 50))),
    }


def _synthetic_card(seed: int, **opts: Any) -> Scorecard:
    """Fitted on synthetic data with missing values, so it has missing bins, and
    an all-missing column forced in (no value bins)."""
    rng = np.random.default_rng(seed)
    n = 3000
    x = rng.normal(size=n)
    z = rng.integers(0, 40, n).astype(float)
    x[rng.random(n) < 0.1] = np.nan
    cat = rng.choice(["a", "b", "c", "d", ""], n)
    risk = np.nan_to_num(x) + (cat == "a") - 0.03 * z
    y = (rng.random(n) < 1 / (1 + np.exp(-risk))).astype(float)
    cols = {"x": x, "z": z, "cat": cat, "allnan": np.full(n, np.nan)}
    return fit_scorecard(cols, y, include=["allnan"], fitted_on=FITTED_ON, **opts)


@pytest.fixture(scope="module")
def synthetic_cards() -> dict[str, Scorecard]:
    return {
        "synthetic": _synthetic_card(1),
        "synthetic-optimal-unrounded": _synthetic_card(2, binning_method="optimal", round_points=False),
        "synthetic-tree": _synthetic_card(3, prebinning="tree", max_bins=4),
        **_hand_cards(),
    }


# ---------------------------------------------------------------- values


def _ulps(x: float, k: int) -> float:
    for _ in range(abs(k)):
        x = math.nextafter(x, math.inf if k > 0 else -math.inf)
    return x


def _numeric_values(cuts: tuple[float, ...]) -> st.SearchStrategy[object]:
    at_cut = (
        st.tuples(st.sampled_from(cuts), st.integers(-2, 2)).map(lambda t: _ulps(t[0], t[1]))
        if cuts else st.just(0.0)
    )
    int_cut = st.sampled_from([int(c) for c in cuts if math.isfinite(c)] or [0])
    return st.one_of(
        at_cut, at_cut, at_cut,
        int_cut,
        st.floats(allow_nan=True, allow_infinity=True),
        st.floats(-1e7, 1e7),
        st.integers(-1000, 10**7),
        st.integers(-(2**80), 2**80),  # past int64 / uint64 / 2**53
        st.sampled_from([2**53, 2**53 + 1, -(2**53) - 1, 2**63 - 1, 2**63, 2**64 - 1, 2**64, -(2**63)]),
        st.sampled_from([None, math.nan, -math.nan, 0.0, -0.0, math.inf, -math.inf, 5e-324, 1.7976931348623157e308]),
        st.sampled_from([True, False, np.float32(1.5), np.int64(3), np.float64(2.5), Decimal("2.5")]),
        st.sampled_from(["3.5", "nan", "", "abc", [1.0], [], np.array([2.0])]),
    )


def _categorical_values(levels: Mapping[str, int]) -> st.SearchStrategy[object]:
    keys = sorted(levels) or ["a"]
    known = st.sampled_from(keys)
    return st.one_of(
        known, known, known,
        known.map(lambda s: s + "\x00"),
        known.map(lambda s: s + "\x00\x00"),
        known.map(lambda s: " " + s),
        known.map(str.upper),
        known.map(lambda s: s[:-1]),
        st.sampled_from(["", "\x00", None, math.nan, "unseen level", "nan", "None"]),
        st.text(alphabet="ab \x00é漢", max_size=6),
        st.text(max_size=8),
        st.sampled_from([1, 1.5, True, np.str_(keys[0]), np.float64(math.nan), b"a", [keys[0]], [], Decimal("1")]),
    )


def _applicant(card: Scorecard) -> st.SearchStrategy[dict[str, object]]:
    parts: dict[str, st.SearchStrategy[object]] = {}
    for ch in card.characteristics:
        b = ch.binning
        parts[ch.name] = _numeric_values(b.cuts) if b.kind == "numeric" else _categorical_values(b.levels)
    return st.fixed_dictionaries(parts)


def _clean_applicant(card: Scorecard) -> st.SearchStrategy[dict[str, object]]:
    """Float / str / None values only: the service's inputs, all on the fast path."""
    parts: dict[str, st.SearchStrategy[object]] = {}
    for ch in card.characteristics:
        b = ch.binning
        if b.kind == "numeric":
            cut = (
                st.tuples(st.sampled_from(b.cuts), st.integers(-1, 1)).map(lambda t: _ulps(t[0], t[1]))
                if b.cuts else st.just(0.0)
            )
            parts[ch.name] = st.one_of(cut, st.floats(-1e9, 1e9), st.just(math.nan), st.none())
        else:
            parts[ch.name] = st.one_of(
                st.sampled_from(sorted(b.levels) or [""]), st.sampled_from(["", "unseen", None])
            )
    return st.fixed_dictionaries(parts)


def _check_card(card: Scorecard, data: st.DataObject) -> None:
    values = data.draw(_applicant(card))
    assert_score_one_matches(card, values)
    # missing keys, extra keys
    if values and data.draw(st.booleans()):
        drop = data.draw(st.sampled_from(sorted(values)))
        assert_score_one_matches(card, {k: v for k, v in values.items() if k != drop})
    assert_score_one_matches(card, {**values, "not_a_characteristic": "x"})
    assert_score_one_matches(card, data.draw(_clean_applicant(card)))


# ---------------------------------------------------------------- score_one


@SETTINGS
@given(data=st.data())
def test_score_one_equals_score_shipped_card(data: st.DataObject) -> None:
    _check_card(SHIPPED, data)


@MULTI_CARD
@given(data=st.data())
def test_score_one_equals_score_german_cards(german_cards: dict[str, Scorecard], data: st.DataObject) -> None:
    for card in german_cards.values():
        _check_card(card, data)


@MULTI_CARD
@given(data=st.data())
def test_score_one_equals_score_synthetic_and_hand_built_cards(
    synthetic_cards: dict[str, Scorecard], data: st.DataObject
) -> None:
    for card in synthetic_cards.values():
        _check_card(card, data)


def test_score_one_every_bin_every_cut_exhaustively(
    german_cards: dict[str, Scorecard], synthetic_cards: dict[str, Scorecard]
) -> None:
    """Each numeric cut and its neighbours, each level, missing, one at a time
    on a base applicant (all other values fixed)."""
    for card in [SHIPPED, *german_cards.values(), *synthetic_cards.values()]:
        base: dict[str, object] = {
            ch.name: (0.0 if ch.binning.kind == "numeric" else "") for ch in card.characteristics
        }
        assert_score_one_matches(card, base)
        for ch in card.characteristics:
            b = ch.binning
            if b.kind == "numeric":
                probes: list[object] = [None, math.nan, math.inf, -math.inf]
                for c in b.cuts:
                    probes += [_ulps(c, k) for k in (-1, 0, 1)]
            else:
                probes = [*b.levels, "", None, "never seen"]
            for v in probes:
                assert_score_one_matches(card, {**base, ch.name: v})


def test_score_one_reason_ties_and_truncation() -> None:
    """Equal losses break in card order; more than MAX_REASONS losers keep the first four."""
    chars = [_char(f"c{j}", [3.0, 0.0], cuts=[0.0]) for j in range(7)]
    chars.insert(3, _char("big", [10.0, 0.0], cuts=[0.0]))
    card = _card(chars)
    values = {ch.name: -1.0 for ch in card.characteristics}  # all in the best bin
    assert card.score_one(values).reasons == ()
    values = {ch.name: 1.0 for ch in card.characteristics}  # all lose
    assert card.score_one(values).reasons == ("big", "c0", "c1", "c2")
    assert_score_one_matches(card, values)
    values["c1"] = -1.0
    assert card.score_one(values).reasons == ("big", "c0", "c2", "c3")
    assert_score_one_matches(card, values)


def test_score_one_uses_the_intended_paths(
    german_cards: dict[str, Scorecard], synthetic_cards: dict[str, Scorecard]
) -> None:
    """Fitted cards are scored in plain Python; the odd hand-built ones fall back
    per characteristic (or, with non-finite points, to score())."""
    for card in [SHIPPED, *german_cards.values()]:
        fast = card._scalar
        assert fast is not None
        assert all(s[1] in (NUMERIC, CATEGORICAL) for s in fast.specs)
    syn = synthetic_cards["synthetic"]._scalar
    assert syn is not None
    assert [s[1] for s in syn.specs if s[0] == "allnan"] == [BY_ARRAY]
    nul = synthetic_cards["nul-level"]._scalar
    assert nul is not None and [s[1] for s in nul.specs] == [BY_ARRAY, BY_ARRAY, NUMERIC]
    assert synthetic_cards["inf-points"]._scalar is None
    assert synthetic_cards["nan-points"]._scalar is None


def test_score_one_cache_is_per_card_and_not_a_field() -> None:
    card = Scorecard.from_json(SHIPPED.to_json())
    values = {ch.name: (1.0 if ch.binning.kind == "numeric" else "x") for ch in card.characteristics}
    first = card.score_one(values)
    assert card._scalar is card._scalar  # built once
    assert card._scalar is not None and len(card._scalar.memo) == 1
    assert card == Scorecard.from_json(SHIPPED.to_json())  # equality ignores the cache
    assert card.to_json() == SHIPPED.to_json()
    assert card.score_one(values) == first
    assert len(card._scalar.memo) <= PD_MEMO_LIMIT


def test_score_one_empty_card() -> None:
    card = _card([], base_points=612.0)
    res = card.score_one({})
    assert res.points == 612.0 and res.reasons == ()
    assert res.pd == float(card.pd_from_points([612.0])[0])
    assert res.grade == str(card.master_scale.grade_for_pd([res.pd])[0])
