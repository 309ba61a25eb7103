"""Numpy-only application scorecard: WoE binning, IV selection, L2 logistic
regression, points scaling, master-scale grades, reason codes and validation.

Public API (a contract: see docs/scoring.md).
"""

from scoring.application_features import (
    FEATURES,
    RUB_PER_DM,
    application_columns,
    application_values,
    german_credit_columns,
)
from scoring.batch_scoring import DEFAULT_VERSION, fit_from_csv, score_csv
from scoring.binning import Binning
from scoring.characteristic import Characteristic
from scoring.master_scale import DEFAULT_MASTER_SCALE, MasterScale
from scoring.metrics import auc, ks, psi
from scoring.scorecard import Scorecard, ScoreResult, SingleScore, load_scorecard
from scoring.scorecard_fit import fit_scorecard
from scoring.validation import ValidationReport, validate

__all__ = [
    "DEFAULT_MASTER_SCALE",
    "DEFAULT_VERSION",
    "FEATURES",
    "RUB_PER_DM",
    "Binning",
    "Characteristic",
    "MasterScale",
    "ScoreResult",
    "Scorecard",
    "SingleScore",
    "ValidationReport",
    "application_columns",
    "application_values",
    "auc",
    "fit_from_csv",
    "fit_scorecard",
    "german_credit_columns",
    "ks",
    "load_scorecard",
    "psi",
    "score_csv",
    "validate",
]

# Credit-manager flags (docs/manager-flags.md).
from scoring.funnel import FunnelLimits, funnel_limits
from scoring.manager_flags import (
    DEFAULT_FPD_SHARE,
    ManagerFlagReport,
    benjamini_hochberg,
    flag_first_payment_default,
    flag_first_payment_default_grouped,
    flag_managers,
    flag_managers_grouped,
)
from scoring.poisson_binomial import poisson_binomial_upper_tail
from scoring.synthetic_portfolio import SyntheticPortfolio, synthetic_portfolio

__all__ += [
    "DEFAULT_FPD_SHARE",
    "FunnelLimits",
    "ManagerFlagReport",
    "SyntheticPortfolio",
    "benjamini_hochberg",
    "flag_first_payment_default",
    "flag_first_payment_default_grouped",
    "flag_managers",
    "flag_managers_grouped",
    "funnel_limits",
    "poisson_binomial_upper_tail",
    "synthetic_portfolio",
]
