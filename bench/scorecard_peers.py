"""Peer pipelines for bench/scorecard_cv.py (runs inside bench/.venv-peers).

Reads the folds written by scorecard_cv.py, fits scorecardpy's standard pipeline
(woebin -> woebin_ply -> sklearn LogisticRegression -> scorecard) and optbinning's
Scorecard (BinningProcess + LogisticRegression) on each training fold, and returns
the holdout points plus fit times as JSON.  Metrics are computed by the caller with
the same code for every pipeline.  Not part of the shipped package.
"""

from __future__ import annotations

import argparse
import json
import time
import warnings

import numpy as np
import pandas as pd

warnings.filterwarnings("ignore")
TARGET = "creditability"


def load(path: str) -> pd.DataFrame:
    df = pd.read_csv(path)
    df[TARGET] = (df[TARGET] == "bad").astype(int)
    return df


def run_scorecardpy(df: pd.DataFrame, train_idx, test_idx):
    import scorecardpy as sc
    from sklearn.linear_model import LogisticRegression

    train, test = df.iloc[train_idx].copy(), df.iloc[test_idx].copy()
    t0 = time.perf_counter()
    bins = sc.woebin(train, y=TARGET, no_cores=1, print_step=0)
    train_woe = sc.woebin_ply(train, bins, no_cores=1, print_step=0)
    y = train_woe[TARGET]
    x = train_woe.drop(columns=[TARGET])
    # scorecardpy README example settings
    lr = LogisticRegression(penalty="l1", C=0.9, solver="liblinear")
    lr.fit(x, y)
    card = sc.scorecard(bins, lr, x.columns)
    fit_s = time.perf_counter() - t0
    score = sc.scorecard_ply(test, card, only_total_score=True, print_step=0)["score"]
    return np.asarray(score, dtype=float), fit_s, card


def run_optbinning(df: pd.DataFrame, train_idx, test_idx, categorical):
    from optbinning import BinningProcess, Scorecard
    from sklearn.linear_model import LogisticRegression

    x = df.drop(columns=[TARGET])
    y = df[TARGET].to_numpy()
    t0 = time.perf_counter()
    bp = BinningProcess(variable_names=list(x.columns), categorical_variables=categorical)
    card = Scorecard(
        binning_process=bp,
        estimator=LogisticRegression(),
        scaling_method="pdo_odds",
        scaling_method_params={"pdo": 20, "odds": 50, "scorecard_points": 600},
    )
    card.fit(x.iloc[train_idx], y[train_idx])
    fit_s = time.perf_counter() - t0
    score = card.score(x.iloc[test_idx])
    return np.asarray(score, dtype=float), fit_s


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--folds", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    spec = json.load(open(args.folds))
    df = load(args.data)
    categorical = spec["categorical"]
    out = {"versions": {}, "scorecardpy": [], "optbinning": []}
    import optbinning
    import scorecardpy
    import sklearn

    out["versions"] = {
        "scorecardpy": getattr(scorecardpy, "__version__", "?"),
        "optbinning": optbinning.__version__,
        "scikit-learn": sklearn.__version__,
        "pandas": pd.__version__,
    }
    last_card = None
    for fold in spec["folds"]:
        tr, te = np.asarray(fold["train"]), np.asarray(fold["test"])
        s, t, last_card = run_scorecardpy(df, tr, te)
        out["scorecardpy"].append({"points": s.tolist(), "fit_s": t})
        s, t = run_optbinning(df, tr, te, categorical)
        out["optbinning"].append({"points": s.tolist(), "fit_s": t})
    # apply speed: scorecard_ply on the same resampled rows as ours (first N of them)
    rows = np.asarray(spec["apply_rows"])
    big = df.drop(columns=[TARGET]).iloc[rows].reset_index(drop=True)
    t0 = time.perf_counter()
    sc_out = scorecardpy.scorecard_ply(big, last_card, only_total_score=True, print_step=0)
    dt = time.perf_counter() - t0
    out["apply"] = {"rows": int(rows.size), "seconds": dt, "rows_per_s": rows.size / dt,
                    "n_scored": len(sc_out)}
    json.dump(out, open(args.out, "w"))


if __name__ == "__main__":
    main()
