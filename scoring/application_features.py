"""Map the service's application form onto scorecard characteristics.

The same mapping is used to turn the German Credit data into training data
(:func:`german_credit_columns`) and to turn live applications into scoring input
(:func:`application_columns`), so the card sees one definition of each feature.
:func:`application_values` is its scalar twin for one applicant (plain Python,
for :meth:`scoring.Scorecard.score_one`), built on the same tables and edges.

Characteristics (name: type, from which form field):

=========================  ===========  ===========================================
``term_months``            numeric      term in months
``amount_rub``             numeric      loan amount in roubles
``age_years``              numeric      age in years
``employment_length``      categorical  ``employment_months`` -> unemployed, lt_1y,
                                        1_4y, 4_7y, ge_7y
``instalment_share_band``  numeric      instalment / income -> 1 (<20 %), 2 (20-25 %),
                                        3 (25-35 %), 4 (>=35 %)
``housing``                categorical  own, rent, family
``existing_credits``       numeric      credits already held at this bank
``dependents``             numeric      people the applicant supports
``credit_history``         categorical  none, good, delinquent
``purpose``                categorical  car, consumer, home, education, business,
                                        other
=========================  ===========  ===========================================

Modelling assumptions (see docs/scoring.md):

* Amounts: the German data is in Deutschmarks of the 1970s-90s.  We treat
  1 DM as :data:`RUB_PER_DM` = 100 roubles, so the data's 250-18,424 DM
  (median 2,320 DM) becomes 25,000-1,842,400 roubles (median 232,000), the range
  of Russian cash and POS consumer loans.  This is a scaling choice, not an
  exchange rate; only the bin edges of ``amount_rub`` depend on it.
* Instalment share: the data's ``installment_rate_in_percentage_of_disposable_income``
  is a code 1-4.  We read a higher code as a heavier burden (the attribute's name
  and its bad rate, 25 % at code 1 and 33 % at code 4, agree) and use the
  20 / 25 / 35 % bands of the original documentation.
* Employment length categories are the data's own bands, in months.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

import numpy as np
import numpy.typing as npt

from scoring.binning import as_float, as_str
from scoring.german_credit import read_german_credit
from scoring.woe import FloatArray

#: Roubles per Deutschmark used to put the German amounts on a rouble scale
#: (a modelling assumption, see the module docstring).
RUB_PER_DM = 100.0

TERM = "term_months"
AMOUNT = "amount_rub"
AGE = "age_years"
EMPLOYMENT = "employment_length"
INSTALMENT = "instalment_share_band"
HOUSING = "housing"
EXISTING_CREDITS = "existing_credits"
DEPENDENTS = "dependents"
CREDIT_HISTORY = "credit_history"
PURPOSE = "purpose"

FEATURES = (
    TERM,
    AMOUNT,
    AGE,
    EMPLOYMENT,
    INSTALMENT,
    HOUSING,
    EXISTING_CREDITS,
    DEPENDENTS,
    CREDIT_HISTORY,
    PURPOSE,
)

#: Form fields accepted by :func:`application_columns` (and by the batch CSV).
APPLICATION_FIELDS = (
    "term_months",
    "amount",
    "age_years",
    "employment_months",
    "instalment_share",
    "housing",
    "existing_credits",
    "dependents",
    "credit_history",
    "purpose",
)

EMPLOYMENT_LEVELS = ("unemployed", "lt_1y", "1_4y", "4_7y", "ge_7y")
#: Lower bounds (months) of lt_1y, 1_4y, 4_7y, ge_7y; ``<= 0`` months is unemployed.
EMPLOYMENT_MONTHS_EDGES = (0.0, 12.0, 48.0, 84.0)
#: Upper bounds (exclusive) of instalment-share bands 1, 2, 3; band 4 is ``>= 0.35``.
INSTALMENT_SHARE_EDGES = (0.20, 0.25, 0.35)

HOUSING_LEVELS = ("own", "rent", "family")
CREDIT_HISTORY_LEVELS = ("good", "none", "delinquent")
PURPOSE_LEVELS = ("car", "consumer", "home", "education", "business", "other")

HOUSING_MAP: dict[str, str] = {
    **{v: v for v in HOUSING_LEVELS},
    "for free": "family",
}

CREDIT_HISTORY_MAP: dict[str, str] = {
    **{v: v for v in CREDIT_HISTORY_LEVELS},
    "no credits taken/ all credits paid back duly": "none",
    "all credits at this bank paid back duly": "good",
    "existing credits paid back duly till now": "good",
    "delay in paying off in the past": "delinquent",
    "critical account/ other credits existing (not at this bank)": "delinquent",
}

PURPOSE_MAP: dict[str, str] = {
    **{v: v for v in PURPOSE_LEVELS},
    "car (new)": "car",
    "car (used)": "car",
    "radio/television": "consumer",
    "domestic appliances": "consumer",
    "furniture/equipment": "home",
    "repairs": "home",
    "education": "education",
    "retraining": "education",
    "business": "business",
    "others": "other",
}

#: German ``present_employment_since`` label -> representative months of employment.
GERMAN_EMPLOYMENT_MONTHS: dict[str, float] = {
    "unemployed": 0.0,
    "... < 1 year": 6.0,
    "1 <= ... < 4 years": 30.0,
    "4 <= ... < 7 years": 66.0,
    "... >= 7 years": 120.0,
}
#: German instalment-rate code -> representative instalment / income ratio.
GERMAN_INSTALMENT_SHARE: dict[float, float] = {1.0: 0.15, 2.0: 0.225, 3.0: 0.30, 4.0: 0.40}

#: Fitting options for cards on these features: business orders (best to worst)
#: enforced on the ordinal categoricals.
SERVICE_CARD_OPTIONS: dict[str, Any] = {
    "category_order": {
        EMPLOYMENT: ("ge_7y", "4_7y", "1_4y", "lt_1y", "unemployed"),
        CREDIT_HISTORY: CREDIT_HISTORY_LEVELS,
    },
}


def _broadcast(n: int, arr: npt.NDArray[Any], field: str) -> npt.NDArray[Any]:
    if arr.size == n:
        return arr
    if arr.size == 1:
        return np.repeat(arr, n)
    raise ValueError(f"{field}: {arr.size} values, expected {n} or 1")


def _categorical(
    values: npt.ArrayLike, mapping: dict[str, str], field: str, default: str | None = None
) -> npt.NDArray[np.str_]:
    s = np.char.lower(np.char.strip(as_str(np.atleast_1d(np.asarray(values, dtype=object)))))
    out = np.full(s.shape, "", dtype="<U16")
    known = s == ""
    for key, level in mapping.items():
        m = s == key
        out[m] = level
        known |= m
    if not known.all():
        if default is None:
            bad = sorted(set(s[~known].tolist()))[:5]
            raise ValueError(f"{field}: unknown values {bad}; expected one of {sorted(mapping)}")
        out[~known] = default
    return out


def employment_band(employment_months: npt.ArrayLike) -> npt.NDArray[np.str_]:
    """Employment band from months in the current job.

    Notes
    -----
    ``m <= 0`` -> ``unemployed``; ``0 < m < 12`` -> ``lt_1y``; ``12 <= m < 48`` ->
    ``1_4y``; ``48 <= m < 84`` -> ``4_7y``; ``m >= 84`` -> ``ge_7y``; NaN or None
    -> missing (``""``).  Pass 0 for an unemployed applicant.
    """
    m = as_float(np.atleast_1d(np.asarray(employment_months, dtype=object)))
    idx = np.searchsorted(np.asarray(EMPLOYMENT_MONTHS_EDGES), m, side="left")
    levels = np.asarray(EMPLOYMENT_LEVELS, dtype="<U10")
    out = levels[np.minimum(idx, len(EMPLOYMENT_LEVELS) - 1)]
    out[np.isnan(m)] = ""
    return out


def instalment_band(instalment_share: npt.ArrayLike) -> FloatArray:
    """Instalment-share band 1-4 from the ratio monthly payment / monthly income.

    Notes
    -----
    ``r < 0.20`` -> 1, ``0.20 <= r < 0.25`` -> 2, ``0.25 <= r < 0.35`` -> 3,
    ``r >= 0.35`` -> 4; NaN stays NaN (missing).  The ratio is a fraction (0.27,
    not 27).
    """
    r = as_float(np.atleast_1d(np.asarray(instalment_share, dtype=object)))
    band = np.searchsorted(np.asarray(INSTALMENT_SHARE_EDGES), r, side="right") + 1.0
    band[np.isnan(r)] = np.nan
    return np.asarray(band, dtype=np.float64)


def application_columns(
    term_months: npt.ArrayLike,
    amount: npt.ArrayLike,
    age_years: npt.ArrayLike,
    employment_months: npt.ArrayLike,
    instalment_share: npt.ArrayLike,
    housing: npt.ArrayLike,
    existing_credits: npt.ArrayLike,
    dependents: npt.ArrayLike,
    credit_history: npt.ArrayLike,
    purpose: npt.ArrayLike,
) -> dict[str, npt.NDArray[Any]]:
    """Scorecard characteristics from application-form fields (one row or many).

    Parameters
    ----------
    term_months : float or array_like
        Loan term in months.
    amount : float or array_like
        Loan amount in roubles.
    age_years : float or array_like
        Applicant's age in years.
    employment_months : float or array_like
        Months in the current job; 0 if unemployed; None / NaN if unknown.
    instalment_share : float or array_like
        Monthly instalment / monthly income (a fraction).
    housing : str or array_like
        ``"own"``, ``"rent"`` or ``"family"`` (lives with family / for free).
    existing_credits : float or array_like
        Credits the applicant already holds at the bank.
    dependents : float or array_like
        People the applicant supports.
    credit_history : str or array_like
        ``"good"``, ``"none"`` (no previous credit) or ``"delinquent"``.
    purpose : str or array_like
        ``car``, ``consumer``, ``home``, ``education``, ``business`` or ``other``
        (the German data's labels are accepted too; other text becomes
        ``"other"``).

    Returns
    -------
    dict of str to ndarray
        Keys :data:`FEATURES`; numeric ones float64 (NaN missing), the others
        str (``""`` missing).  Scalars broadcast to the longest input.

    Raises
    ------
    ValueError
        Unknown ``housing`` or ``credit_history`` value, or inputs of
        incompatible lengths.
    """
    num = {
        TERM: as_float(np.atleast_1d(np.asarray(term_months, dtype=object))),
        AMOUNT: as_float(np.atleast_1d(np.asarray(amount, dtype=object))),
        AGE: as_float(np.atleast_1d(np.asarray(age_years, dtype=object))),
        INSTALMENT: instalment_band(instalment_share),
        EXISTING_CREDITS: as_float(np.atleast_1d(np.asarray(existing_credits, dtype=object))),
        DEPENDENTS: as_float(np.atleast_1d(np.asarray(dependents, dtype=object))),
    }
    cat = {
        EMPLOYMENT: employment_band(employment_months),
        HOUSING: _categorical(housing, HOUSING_MAP, "housing"),
        CREDIT_HISTORY: _categorical(credit_history, CREDIT_HISTORY_MAP, "credit_history"),
        PURPOSE: _categorical(purpose, PURPOSE_MAP, "purpose", default="other"),
    }
    merged: dict[str, npt.NDArray[Any]] = {**num, **cat}
    n = max(a.size for a in merged.values())
    return {k: _broadcast(n, merged[k], k) for k in FEATURES}


#: ASCII whitespace as ``str.isspace`` (and numpy's ``strip``) define it.
_ASCII_SPACE = "".join(c for c in map(chr, range(128)) if c.isspace())
#: Ints of at most this magnitude are exact floats (any conversion agrees).
_EXACT_INT = 2**53


def _one(arr: npt.NDArray[Any], field: str) -> Any:
    if arr.size != 1:
        raise ValueError(f"{field}: expected one value, got {arr.size}")
    return arr[0]


def _float_value(value: object, field: str) -> float:
    """``as_float(np.atleast_1d(np.asarray(value, dtype=object)))[0]``, as
    :func:`application_columns` converts its numeric fields, in plain Python for
    float, int and None (other types go through that very expression)."""
    if type(value) is float:
        return value
    if type(value) is int and -_EXACT_INT <= value <= _EXACT_INT:
        return float(value)
    if value is None:
        return math.nan
    return float(_one(as_float(np.atleast_1d(np.asarray(value, dtype=object))), field))


def _employment_value(months: float) -> str:
    """:func:`employment_band` of one value (same edges, ``side="left"``)."""
    if months != months:
        return ""
    i = bisect_left(EMPLOYMENT_MONTHS_EDGES, months)
    return EMPLOYMENT_LEVELS[min(i, len(EMPLOYMENT_LEVELS) - 1)]


def _instalment_value(share: float) -> float:
    """:func:`instalment_band` of one value (same edges, ``side="right"``)."""
    if share != share:
        return math.nan
    return bisect_right(INSTALMENT_SHARE_EDGES, share) + 1.0


def _categorical_value(
    value: object, mapping: dict[str, str], field: str, default: str | None = None
) -> str:
    """:func:`_categorical` of one value.

    ASCII text is normalised in plain Python the way numpy does it: whitespace
    stripped on the left, whitespace and NUL on the right (numpy's str arrays
    drop trailing NULs, and its ``strip`` treats them as blank), then lower
    case.  Anything else (non-ASCII, whose numpy lower-casing differs from
    ``str.lower``, or non-str values) goes through :func:`_categorical` itself.
    """
    if type(value) is str and value.isascii():
        s = value.lstrip(_ASCII_SPACE).rstrip(_ASCII_SPACE + "\x00").lower()
    elif value is None:
        s = ""
    else:
        return str(_one(_categorical(cast("npt.ArrayLike", value), mapping, field, default), field))
    if s == "":
        return ""
    level = mapping.get(s)
    if level is not None:
        return level
    if default is None:
        raise ValueError(f"{field}: unknown values {[s]}; expected one of {sorted(mapping)}")
    return default


def application_values(
    term_months: float | None,
    amount: float | None,
    age_years: float | None,
    employment_months: float | None,
    instalment_share: float | None,
    housing: str | None,
    existing_credits: float | None,
    dependents: float | None,
    credit_history: str | None,
    purpose: str | None,
) -> dict[str, float | str]:
    """Scorecard characteristics of one applicant, for :meth:`Scorecard.score_one`.

    The scalar twin of :func:`application_columns`: same arguments (one value
    each), same mapping tables and band edges, and each value equal to the
    single element :func:`application_columns` returns for it (numeric ones a
    float, NaN missing; the others a str, ``""`` missing).  Raises the same
    ``ValueError`` for an unknown ``housing`` or ``credit_history``.  Plain
    Python for float / int / None numbers and ASCII text; any other value is
    converted by the array code itself.
    """
    term = _float_value(term_months, "term_months")
    amt = _float_value(amount, "amount")
    age = _float_value(age_years, "age_years")
    band = _instalment_value(_float_value(instalment_share, "instalment_share"))
    credits = _float_value(existing_credits, "existing_credits")
    deps = _float_value(dependents, "dependents")
    employment = _employment_value(_float_value(employment_months, "employment_months"))
    return {
        TERM: term,
        AMOUNT: amt,
        AGE: age,
        EMPLOYMENT: employment,
        INSTALMENT: band,
        HOUSING: _categorical_value(housing, HOUSING_MAP, "housing"),
        EXISTING_CREDITS: credits,
        DEPENDENTS: deps,
        CREDIT_HISTORY: _categorical_value(credit_history, CREDIT_HISTORY_MAP, "credit_history"),
        PURPOSE: _categorical_value(purpose, PURPOSE_MAP, "purpose", default="other"),
    }


def german_credit_columns(
    path: str | Path,
) -> tuple[dict[str, npt.NDArray[Any]], FloatArray]:
    """German Credit data mapped onto the application characteristics.

    Each German field is turned into the corresponding form field (amount in
    roubles at :data:`RUB_PER_DM`, employment band -> representative months,
    instalment code -> representative ratio, labels -> form categories) and then
    passed through :func:`application_columns`, the function the service uses.

    Returns
    -------
    columns : dict of str to ndarray
        Keys :data:`FEATURES`.
    bad : ndarray of float64
        1.0 for a bad loan.
    """
    raw, bad = read_german_credit(path)
    emp = [GERMAN_EMPLOYMENT_MONTHS[str(v)] for v in raw["present_employment_since"]]
    share = [
        GERMAN_INSTALMENT_SHARE[float(v)]
        for v in raw["installment_rate_in_percentage_of_disposable_income"]
    ]
    cols = application_columns(
        term_months=raw["duration_in_month"],
        amount=np.asarray(raw["credit_amount"], dtype=np.float64) * RUB_PER_DM,
        age_years=raw["age_in_years"],
        employment_months=np.asarray(emp),
        instalment_share=np.asarray(share),
        housing=raw["housing"],
        existing_credits=raw["number_of_existing_credits_at_this_bank"],
        dependents=raw["number_of_people_being_liable_to_provide_maintenance_for"],
        credit_history=raw["credit_history"],
        purpose=raw["purpose"],
    )
    return cols, bad


def application_columns_from_records(
    records: Sequence[dict[str, Any]],
) -> dict[str, npt.NDArray[Any]]:
    """:func:`application_columns` for a list of dicts keyed by :data:`APPLICATION_FIELDS`.

    Empty strings in numeric fields are missing (NaN).
    """
    numeric = {
        "term_months",
        "amount",
        "age_years",
        "employment_months",
        "instalment_share",
        "existing_credits",
        "dependents",
    }
    args: dict[str, Any] = {}
    for f in APPLICATION_FIELDS:
        vals = [r.get(f) for r in records]
        if f in numeric:
            args[f] = np.array(
                [math.nan if v is None or v == "" else float(v) for v in vals], dtype=np.float64
            )
        else:
            args[f] = np.array(["" if v is None else str(v) for v in vals], dtype=np.str_)
    return application_columns(**args)
