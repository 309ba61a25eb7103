"""Fixtures for the PSK limit tests: managers, a fixture quarter, a policy that refuses."""

from __future__ import annotations

import json
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from app.core.clock import today
from app.core.config import Settings
from app.core.db import transaction
from app.pricing import repository
from app.pricing.limits import expected_limit, parse_table, quarter_bounds, quarter_of
from tests.factories import add_manager


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """The shipped policy with ``psk_limit.without_table = refuse``: the law's rule."""
    policy = json.loads(
        resources.files("app.decisions").joinpath("policy-2026.11-v1.json").read_text(encoding="utf-8")
    )
    policy["psk_limit"]["without_table"] = "refuse"
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(policy), encoding="utf-8")
    return Settings(database_url=database_url, db_pool_size=5, key_cache_seconds=0,
                    decision_policy_path=str(path))


@pytest.fixture
def managers(client: TestClient, admin: dict[str, str]) -> None:
    add_manager(client, admin, "M-B01", branch="B01")


def fixture_quarter(average: str, *, quarter: str | None = None) -> dict[str, Any]:
    """A made-up table for this quarter (tests only): one unsecured non-targeted category."""
    q = quarter or quarter_of(today())
    limit = format(expected_limit(__import__("decimal").Decimal(average)), "f")
    return {
        "quarter": q,
        "valid_from": quarter_bounds(q)[0].isoformat(),
        "lender_type": "credit_organisation",
        "source": {"title": "test fixture, not a publication", "url": "https://example.invalid/fixture"},
        "rows": [{
            "category": "9.1", "title": "Нецелевые потребительские кредиты без обеспечения (тестовая категория)",
            "purpose": "non_targeted", "secured": False, "amount_min": None, "amount_max": None,
            "term_days_min": None, "term_days_max": None, "average_percent": average, "limit_percent": limit,
        }],
    }


LoadTable = Callable[[dict[str, Any]], None]


@pytest.fixture
def load_table(engine: Engine) -> LoadTable:
    def load(data: dict[str, Any]) -> None:
        with transaction(engine, write=True) as session:
            repository.load(session, parse_table(data), loaded_by="test")

    return load
