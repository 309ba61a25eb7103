"""Real data: German Credit fits, the shipped artefact, the application mapping and
the CSV entry points."""

from __future__ import annotations

import csv
import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from scoring import (
    DEFAULT_VERSION,
    FEATURES,
    Scorecard,
    application_columns,
    fit_from_csv,
    fit_scorecard,
    german_credit_columns,
    load_scorecard,
    score_csv,
    validate,
)
from scoring.application_features import APPLICATION_FIELDS, RUB_PER_DM
from scoring.scorecard import DEFAULT_ARTEFACT
from tests.scoring.cards import assert_same_card


def test_full_fit_in_sample_auc(raw_card: Scorecard, german_raw: tuple[dict[str, Any], Any]) -> None:
    cols, bad = german_raw
    rep = validate(raw_card, cols, bad)
    assert rep.auc > 0.75  # measured 0.83 on all 20 characteristics
    assert abs(rep.gini - (2 * rep.auc - 1)) < 1e-12
    assert 0 < rep.ks < 1
    assert abs(rep.mean_pd - rep.observed_bad_rate) < 0.01  # intercept calibrates the mean
    assert sum(r.count for r in rep.by_grade) == 1000
    rates = [r.mean_pd for r in rep.by_grade]
    assert rates == sorted(rates)
    assert rep.format().startswith("n=1000")


def test_fit_is_deterministic_and_iv_selection_recorded(
    raw_card: Scorecard, german_raw: tuple[dict[str, Any], Any]
) -> None:
    cols, bad = german_raw
    again = fit_scorecard(cols, bad, version="test-raw", fitted_on="2026-01-01T00:00:00+00:00")
    assert_same_card(again, raw_card, cols)
    table = {r["name"]: r for r in raw_card.iv_table()}
    assert len(table) == 20
    for name, row in table.items():
        assert (name in raw_card.names) == (row["status"] in ("selected", "forced"))
        if row["status"] == "low IV":
            assert row["iv"] < 0.02
    assert all(c.coef < 0 for c in raw_card.characteristics)  # sign check


def test_force_include_and_exclude(german_raw: tuple[dict[str, Any], Any]) -> None:
    cols, bad = german_raw
    card = fit_scorecard(cols, bad, include="telephone", exclude=["purpose"], sign_check=False)
    assert "telephone" in card.names and "purpose" not in card.names
    with pytest.raises(KeyError):
        fit_scorecard(cols, bad, include="nope")


def test_shipped_artefact_matches_refit(german_csv: Path) -> None:
    shipped = load_scorecard()
    assert shipped.version == DEFAULT_VERSION == "german-credit-2026.11-v1"
    assert shipped.metadata["n"] == 1000 and shipped.metadata["n_bad"] == 300
    assert "Hofmann" in shipped.metadata["dataset"]
    assert set(shipped.names) <= set(FEATURES)
    refit = fit_from_csv(german_csv, fitted_on=shipped.metadata["fitted_on"])
    assert_same_card(refit, shipped, german_credit_columns(german_csv)[0])
    # the same text read twice is the same card, bit for bit
    path = Path(__file__).resolve().parents[2] / "scoring" / "data" / DEFAULT_ARTEFACT
    assert load_scorecard(path).to_json() == shipped.to_json()


def test_artefact_json_is_stable_under_last_place_noise(raw_card: Scorecard) -> None:
    """A refit whose least squares differ in the last binary place writes the same file."""
    d = raw_card.to_dict()
    nudged = dataclasses.replace(
        raw_card,
        intercept=float(np.nextafter(raw_card.intercept, np.inf)),
        characteristics=tuple(
            dataclasses.replace(ch, coef=float(np.nextafter(ch.coef, -np.inf)))
            for ch in raw_card.characteristics
        ),
    )
    assert nudged.to_dict() == d


def test_default_card_on_german_data(german_app: tuple[dict[str, Any], Any]) -> None:
    cols, bad = german_app
    rep = validate(load_scorecard(), cols, bad)
    assert rep.auc > 0.69  # measured 0.710: 10 application characteristics only


def test_application_mapping() -> None:
    cols = application_columns(
        term_months=[12, 36],
        amount=[150_000, 900_000],
        age_years=[45, 22],
        employment_months=[100, 0],
        instalment_share=[0.1, 0.4],
        housing=["own", "Family"],
        existing_credits=1,
        dependents=[0, None],
        credit_history=["good", "delinquent"],
        purpose=["car", "a holiday"],
    )
    assert list(cols) == list(FEATURES)
    assert cols["employment_length"].tolist() == ["ge_7y", "unemployed"]
    assert cols["instalment_share_band"].tolist() == [1.0, 4.0]
    assert cols["housing"].tolist() == ["own", "family"]
    assert cols["existing_credits"].tolist() == [1.0, 1.0]
    assert np.isnan(cols["dependents"][1])
    assert cols["purpose"].tolist() == ["car", "other"]
    res = load_scorecard().score(cols)
    assert res.points[0] > res.points[1] and res.pd[0] < res.pd[1]
    with pytest.raises(ValueError, match="housing"):
        application_columns(12, 1e5, 30, 12, 0.2, "castle", 1, 0, "good", "car")
    one = application_columns(12, 1e5, 30, None, 0.2, "rent", 1, 0, None, "car")
    assert one["employment_length"].tolist() == [""] and one["credit_history"].tolist() == [""]


def test_german_mapping(german_app: tuple[dict[str, Any], Any]) -> None:
    cols, bad = german_app
    assert bad.sum() == 300
    assert cols["amount_rub"][0] == 1169 * RUB_PER_DM  # first loan: 1,169 DM
    assert set(cols["housing"].tolist()) == {"own", "rent", "family"}
    assert set(cols["credit_history"].tolist()) == {"good", "none", "delinquent"}
    assert set(cols["instalment_share_band"].tolist()) == {1.0, 2.0, 3.0, 4.0}


def _write_applications(path: Path, n: int) -> list[dict[str, str]]:
    rng = np.random.default_rng(7)
    rows = []
    for i in range(n):
        rows.append(
            {
                "application_id": f"A{i}",
                "term_months": str(int(rng.integers(6, 60))),
                "amount": str(int(rng.integers(20_000, 2_000_000))),
                "age_years": str(int(rng.integers(19, 75))),
                "employment_months": "" if i % 7 == 0 else str(int(rng.integers(0, 200))),
                "instalment_share": f"{rng.uniform(0.05, 0.5):.3f}",
                "housing": ["own", "rent", "family"][i % 3],
                "existing_credits": str(int(rng.integers(0, 4))),
                "dependents": str(int(rng.integers(0, 4))),
                "credit_history": ["good", "none", "delinquent", ""][i % 4],
                "purpose": ["car", "consumer", "home", "education", "business", "other"][i % 6],
            }
        )
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return rows


def test_score_csv_streams_and_matches_in_memory(tmp_path: Path) -> None:
    card = load_scorecard()
    rows = _write_applications(tmp_path / "in.csv", 250)
    assert score_csv(card, tmp_path / "in.csv", tmp_path / "out.csv", chunk_rows=40) == 250
    with open(tmp_path / "out.csv", newline="") as fh:
        out = list(csv.DictReader(fh))
    assert [r["application_id"] for r in out] == [r["application_id"] for r in rows]
    from scoring.application_features import application_columns_from_records

    res = card.score(application_columns_from_records(rows))
    assert [float(r["points"]) for r in out] == res.points.tolist()
    assert [float(r["pd"]) for r in out] == res.pd.tolist()  # repr round-trips exactly
    assert [r["grade"] for r in out] == res.grade.tolist()
    assert [r["reasons"] for r in out] == [";".join(res.reasons_of(i)) for i in range(250)]


def test_fit_from_application_csv(tmp_path: Path, german_app: tuple[dict[str, Any], Any]) -> None:
    rows = _write_applications(tmp_path / "apps.csv", 400)
    rng = np.random.default_rng(8)
    term = np.array([float(r["term_months"]) for r in rows])
    bad = (rng.random(400) < 1 / (1 + np.exp(-(term - 33) / 8))).astype(int)
    with open(tmp_path / "train.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=[*APPLICATION_FIELDS, "bad"])
        w.writeheader()
        for r, b in zip(rows, bad, strict=True):
            w.writerow({**{f: r[f] for f in APPLICATION_FIELDS}, "bad": int(b)})
    card = fit_from_csv(tmp_path / "train.csv", version="synthetic-test")
    assert card.version == "synthetic-test" and "term_months" in card.names
    term_ch = next(c for c in card.characteristics if c.name == "term_months")
    assert term_ch.binning.trend == "increasing"


def test_score_csv_rejects_bad_input(tmp_path: Path) -> None:
    (tmp_path / "x.csv").write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="missing columns"):
        score_csv(load_scorecard(), tmp_path / "x.csv", tmp_path / "y.csv")
