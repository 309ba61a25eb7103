"""``application_values(...)`` equals ``application_columns(...)`` element-wise, and the
rating path through it (``score_one``) equals the array path, on random service and
adversarial forms; timings printed, not asserted. (Split from test_score_one.py.)"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring import Scorecard, application_columns, application_values, load_scorecard
from scoring.application_features import (
    CREDIT_HISTORY_LEVELS,
    CREDIT_HISTORY_MAP,
    EMPLOYMENT_MONTHS_EDGES,
    HOUSING_LEVELS,
    HOUSING_MAP,
    INSTALMENT_SHARE_EDGES,
    PURPOSE_LEVELS,
    PURPOSE_MAP,
)

SHIPPED = load_scorecard()


def _ulps(x: float, k: int) -> float:
    for _ in range(abs(k)):
        x = math.nextafter(x, math.inf if k > 0 else -math.inf)
    return x


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
