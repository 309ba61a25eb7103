"""The credit decision policy: versioned JSON, hard rules first, then grade cut-offs.

Outcomes are ``approve``, ``decline`` or ``refer`` (to a risk officer). Every decision
records the policy's version next to the scorecard's.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from scoring import DEFAULT_MASTER_SCALE

DEFAULT_POLICY = "policy-2026.12-v2.json"


@dataclass(frozen=True, slots=True)
class Cutoff:
    approve_up_to: str
    refer_up_to: str


@dataclass(frozen=True, slots=True)
class DecisionPolicy:
    version: str
    cutoffs: dict[str, Cutoff]
    other_channel_window_days: int
    same_manager_same_borrower_max: int
    same_manager_window_days: int
    grades: tuple[str, ...]
    #: More applications than this with one passport across all channels in the window: refer.
    same_passport_max_applications: int = 5
    same_passport_window_days: int = 30
    #: A contract date whose quarter has no PSK limit table loaded: "refuse" the contract (the
    #: law's rule once the tables are kept current) or "issue" it with the limit unknown.
    psk_limit_without_table: str = "issue"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DecisionPolicy:
        grades = DEFAULT_MASTER_SCALE.all_grades
        cutoffs = {k: Cutoff(**v) for k, v in data["grade_cutoffs"].items()}
        for name, c in cutoffs.items():
            for g in (c.approve_up_to, c.refer_up_to):
                if g not in grades:
                    raise ValueError(f"policy {name}: unknown grade {g}")
            if grades.index(c.approve_up_to) > grades.index(c.refer_up_to):
                raise ValueError(f"policy {name}: approve cut-off is worse than refer cut-off")
        fraud = data["fraud"]
        return cls(
            version=data["version"],
            cutoffs=cutoffs,
            other_channel_window_days=int(fraud["other_channel_window_days"]),
            same_manager_same_borrower_max=int(fraud["same_manager_same_borrower_max"]),
            same_manager_window_days=int(fraud["same_manager_window_days"]),
            grades=grades,
            same_passport_max_applications=int(fraud.get("same_passport_max_applications", 5)),
            same_passport_window_days=int(fraud.get("same_passport_window_days", 30)),
            psk_limit_without_table=_without_table(data),
        )

    def cutoff_for(self, product_code: str) -> Cutoff:
        return self.cutoffs.get(product_code, self.cutoffs["default"])


def _without_table(data: dict[str, Any]) -> str:
    value = str(data.get("psk_limit", {}).get("without_table", "issue"))
    if value not in {"issue", "refuse"}:
        raise ValueError(f"psk_limit.without_table must be issue or refuse, not {value!r}")
    return value


@lru_cache
def load_policy(path: str | None = None) -> DecisionPolicy:
    """The policy in ``path`` (``LOANS_DECISION_POLICY_PATH``), or the shipped default."""
    if path is None:
        text = resources.files("app.decisions").joinpath(DEFAULT_POLICY).read_text(encoding="utf-8")
    else:
        text = Path(path).read_text(encoding="utf-8")
    return DecisionPolicy.from_dict(json.loads(text))


@dataclass(frozen=True, slots=True)
class Outcome:
    outcome: str
    reasons: list[str]


def decide(
    policy: DecisionPolicy,
    *,
    product_code: str,
    grade: str,
    pdn: Decimal,
    pdn_limit: Decimal,
    eligibility_problems: Sequence[str],
    fraud_signals: Sequence[str],
) -> Outcome:
    """Hard rules, then fraud referral, then the product's grade cut-offs."""
    hard = list(eligibility_problems)
    if pdn > pdn_limit:
        hard.append(f"pdn: {pdn} exceeds the programme's limit of {pdn_limit}")
    if hard:
        return Outcome("decline", sorted(set(hard)))
    if grade == DEFAULT_MASTER_SCALE.default_grade:
        return Outcome("decline", [f"grade: {grade} is the default grade"])
    if fraud_signals:
        return Outcome("refer", [f"fraud: {s}" for s in fraud_signals])
    cutoff = policy.cutoff_for(product_code)
    rank = policy.grades.index(grade)
    if rank <= policy.grades.index(cutoff.approve_up_to):
        return Outcome("approve", [f"grade: {grade} within the approval cut-off {cutoff.approve_up_to}"])
    if rank <= policy.grades.index(cutoff.refer_up_to):
        return Outcome("refer", [f"grade: {grade} below {cutoff.approve_up_to}; a risk officer decides"])
    return Outcome("decline", [f"grade: {grade} below the programme's cut-off {cutoff.refer_up_to}"])
