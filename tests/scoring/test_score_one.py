"""The scalar path for one applicant against the array path it must reproduce:
``Scorecard.score_one(values)`` equals ``Scorecard.score({k: [v]})`` at row 0 bit
for bit, and ``application_values(...)`` equals ``application_columns(...)``
element-wise, on random applicants (missing, unseen, cut points and their
neighbouring floats, extreme and odd-typed values)."""

from __future__ import annotations

import math
import time
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
    application_columns,
    application_values,
    fit_scorecard,
    load_scorecard,
)
from scoring.application_features import (
    CREDIT_HISTORY_LEVELS,
    CREDIT_HISTORY_MAP,
    EMPLOYMENT_MONTHS_EDGES,
    HOUSING_LEVELS,
    HOUSING_MAP,
    INSTALMENT_SHARE_EDGES,
    PURPOSE_LEVELS,
    PURPOSE_MAP,
    SERVICE_CARD_OPTIONS,
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


GERMAN_OPTIONS: dict[str, dict[str, Any]] = {
    "greedy": {},
    "optimal": {"binning_method": "optimal"},
    "tree-unrounded": {"prebinning": "tree", "round_points": False},
    "optimal-small": {"binning_method": "optimal", "max_bins": 3, "min_bin_share": 0.1, "min_iv": 0.0},
}


@pytest.fixture(scope="module")
def german_cards(german_app: tuple[dict[str, Any], np.ndarray], raw_card: Scorecard) -> dict[str, Scorecard]:
    cols, bad = german_app
    cards = {
        f"german-{k}": fit_scorecard(cols, bad, **SERVICE_CARD_OPTIONS, **v, fitted_on=FITTED_ON)
        for k, v in GERMAN_OPTIONS.items()
    }
    cards["german-raw"] = raw_card  # the raw German columns: long category labels
    return cards


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


# ---------------------------------------------------------------- application_values


FORM_FIELDS = (
    "term_months", "amount", "age_years", "employment_months", "instalment_share",
    "housing", "existing_credits", "dependents", "credit_history", "purpose",
)


def _service_form() -> st.SearchStrategy[dict[str, Any]]:
    """What app/decisions/rating.py passes (schemas/applications.py ranges)."""
    money = st.decimals(Decimal("0.01"), Decimal("100000000.00"), places=2)
    share = st.one_of(
        st.tuples(money, money).map(lambda t: float(t[0] / t[1])),  # payment / income
        st.sampled_from(INSTALMENT_SHARE_EDGES).map(float),
    )
    return st.fixed_dictionaries(
        {
            "term_months": st.integers(1, 600),
            "amount": money.map(float),
            "age_years": st.integers(0, 130),
            "employment_months": st.one_of(st.integers(0, 840), st.sampled_from([0, 11, 12, 47, 48, 83, 84])),
            "instalment_share": share,
            "housing": st.sampled_from(HOUSING_LEVELS),
            "existing_credits": st.integers(0, 50),
            "dependents": st.integers(0, 20),
            "credit_history": st.sampled_from(CREDIT_HISTORY_LEVELS),
            "purpose": st.sampled_from(PURPOSE_LEVELS),
        }
    )


def _edge_numbers(edges: tuple[float, ...]) -> st.SearchStrategy[object]:
    return st.one_of(
        st.tuples(st.sampled_from(edges), st.integers(-2, 2)).map(lambda t: _ulps(t[0], t[1])),
        st.sampled_from(edges).map(int),
        st.floats(allow_nan=True, allow_infinity=True),
        st.integers(-(2**70), 2**70),
        st.sampled_from([None, math.nan, -0.0, 2**53 + 1, 2**63, 2**64, True, Decimal("0.2"),
                         np.float32(0.2), np.int64(12), "12", "0.25", "x", [0.3], [1.0, 2.0]]),
    )


def _text(mapping: Mapping[str, str]) -> st.SearchStrategy[object]:
    key = st.sampled_from(sorted(mapping))
    blank = st.one_of(
        st.text(alphabet=" \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x00", max_size=3),
        st.text(alphabet=" \x00", max_size=4),  # numpy strips NUL too, on the right only
    )
    return st.one_of(
        key, key,
        st.tuples(blank, key, blank).map(lambda t: t[0] + t[1] + t[2]),
        st.tuples(blank, key.map(str.upper), blank).map(lambda t: t[0] + t[1] + t[2]),
        key.map(lambda s: s[:1] + "\x00" + s[1:]),
        key.map(lambda s: s.replace("i", "İ")),  # numpy and str.lower disagree on it
        st.text(alphabet="abcxyz İßﬁ\x00\t", max_size=6),
        st.text(max_size=10),
        st.sampled_from([None, "", "\x00", " ", math.nan, 1, 2.5, np.str_("own"), b"own", ["rent"], []]),
    )


def _adversarial_form() -> st.SearchStrategy[dict[str, Any]]:
    num = _edge_numbers((0.0, 1.0, 36.0))
    return st.fixed_dictionaries(
        {
            "term_months": num,
            "amount": num,
            "age_years": num,
            "employment_months": _edge_numbers(EMPLOYMENT_MONTHS_EDGES),
            "instalment_share": _edge_numbers(INSTALMENT_SHARE_EDGES),
            "housing": st.one_of(st.sampled_from(HOUSING_LEVELS), _text(HOUSING_MAP)),
            "existing_credits": num,
            "dependents": num,
            "credit_history": st.one_of(st.sampled_from(CREDIT_HISTORY_LEVELS), _text(CREDIT_HISTORY_MAP)),
            "purpose": _text(PURPOSE_MAP),
        }
    )


def assert_values_match(form: Mapping[str, Any]) -> None:
    try:
        cols = application_columns(**form)
    except Exception as exc:
        with pytest.raises(type(exc)) as info:
            application_values(**form)
        one_row = not any(isinstance(v, list) and len(v) != 1 for v in form.values())
        if "unknown values" in str(exc) and one_row:
            assert str(info.value) == str(exc)
        return
    if any(arr.size != 1 for arr in cols.values()):  # a list argument broadcast to rows
        with pytest.raises(ValueError, match="expected one value"):
            application_values(**form)
        return
    vals = application_values(**form)
    assert list(vals) == list(cols)
    for k, arr in cols.items():
        assert arr.shape == (1,)
        v = vals[k]
        if arr.dtype.kind == "f":
            assert type(v) is float
            assert float(arr[0]).hex() == v.hex() or (math.isnan(v) and math.isnan(arr[0]))
        else:
            assert arr.dtype.kind == "U" and type(v) is str and v == str(arr[0])


@settings(max_examples=400, deadline=None)
@given(form=_service_form())
def test_application_values_equal_columns_service_inputs(form: dict[str, Any]) -> None:
    assert_values_match(form)


@settings(max_examples=600, deadline=None)
@given(form=_adversarial_form())
def test_application_values_equal_columns_adversarial_inputs(form: dict[str, Any]) -> None:
    assert_values_match(form)


def test_application_values_german_labels_and_every_edge() -> None:
    base = {
        "term_months": 24, "amount": 100000.0, "age_years": 30, "employment_months": 24,
        "instalment_share": 0.1, "housing": "own", "existing_credits": 1, "dependents": 0,
        "credit_history": "good", "purpose": "car",
    }
    for field, mapping in (("housing", HOUSING_MAP), ("credit_history", CREDIT_HISTORY_MAP), ("purpose", PURPOSE_MAP)):
        for label in mapping:
            assert_values_match({**base, field: label})
            for pad in ("", " ", "\x00", " \x00", "\x00 ", " \x00 ", "\x00 \x00", "\t\x00\n ", "\x1f"):
                assert_values_match({**base, field: pad + label.upper() + pad})
                assert_values_match({**base, field: label + pad})
    for e in EMPLOYMENT_MONTHS_EDGES:
        for k in (-1, 0, 1):
            assert_values_match({**base, "employment_months": _ulps(e, k)})
    for e in INSTALMENT_SHARE_EDGES:
        for k in (-1, 0, 1):
            assert_values_match({**base, "instalment_share": _ulps(e, k)})
    with pytest.raises(ValueError, match="housing: unknown values"):
        application_values(**{**base, "housing": "castle"})
    assert application_values(**{**base, "purpose": "yacht"})["purpose"] == "other"


@settings(max_examples=200, deadline=None)
@given(form=st.one_of(_service_form(), _adversarial_form()))
def test_rating_end_to_end_new_path_equals_old(german_cards_or_none: list[Scorecard], form: dict[str, Any]) -> None:
    """application_values + score_one == application_columns + score, row 0."""
    for card in [SHIPPED, *german_cards_or_none]:
        try:
            cols = application_columns(**form)
        except Exception:
            return  # the form itself is rejected (checked above)
        if len(cols[next(iter(cols))]) != 1:
            return  # a list argument broadcast to rows (checked above)
        exp = card.score(cols)
        expected = (float(exp.points[0]), float(exp.pd[0]), str(exp.grade[0]), exp.reasons_of(0))
        got = card.score_one(application_values(**form))
        assert (got.points.hex(), got.pd.hex(), got.grade, got.reasons) == (
            expected[0].hex(), expected[1].hex(), expected[2], expected[3]
        )


@pytest.fixture(scope="module")
def german_cards_or_none(request: pytest.FixtureRequest) -> list[Scorecard]:
    try:
        cards: dict[str, Scorecard] = request.getfixturevalue("german_cards")
    except pytest.skip.Exception:
        return []
    return [c for k, c in cards.items() if k != "german-raw"]  # the cards on application features


# ---------------------------------------------------------------- timing (printed, not asserted)


def _best_of(fn: Callable[[], object], number: int, repeat: int = 5) -> float:
    best = math.inf
    for _ in range(repeat):
        t = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - t) / number)
    return best


def test_print_timings(capsys: pytest.CaptureFixture[str]) -> None:
    """Old path (as app/decisions/rating.py's rate: application_columns + score +
    extraction) against the new one, per applicant, best of 5."""
    card = load_scorecard()
    amount, share = Decimal("300000.00"), Decimal("0.08")
    kw: dict[str, Any] = {
        "term_months": 36, "amount": float(amount), "age_years": 36, "employment_months": 48,
        "instalment_share": float(share), "housing": "rent", "existing_credits": 1, "dependents": 1,
        "credit_history": "good", "purpose": "consumer",
    }

    def old() -> tuple[int, Decimal, str, list[str]]:
        r = card.score(application_columns(**kw))
        return round(float(r.points[0])), Decimal(f"{float(r.pd[0]):.6f}"), str(r.grade[0]), list(r.reasons_of(0))

    def new() -> tuple[int, Decimal, str, list[str]]:
        r = card.score_one(application_values(**kw))
        return round(r.points), Decimal(f"{r.pd:.6f}"), r.grade, list(r.reasons)

    assert old() == new()
    t_old = _best_of(old, 300)
    t_new = _best_of(new, 3000)
    values = application_values(**kw)
    cols = application_columns(**kw)
    t_score = _best_of(lambda: card.score(cols), 300)
    t_one = _best_of(lambda: card.score_one(values), 3000)
    with capsys.disabled():
        print(
            f"\n[score_one timing, best of 5] rate path: old {t_old * 1e6:.1f} us, new {t_new * 1e6:.2f} us "
            f"({t_old / t_new:.0f}x); score 1 row {t_score * 1e6:.1f} us vs score_one {t_one * 1e6:.2f} us"
        )
