"""The ``loans`` console script: keys and migrations, as an operator runs them."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from app.cli import main
from app.core.config import get_settings


@pytest.fixture
def cli_env(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("LOANS_DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield database_url
    get_settings.cache_clear()


def test_keys_create_prints_the_key_alone_on_the_last_line(cli_env, client: TestClient, capsys) -> None:
    assert main(["keys", "create", "--role", "admin", "--name", "ops"]) == 0
    key = capsys.readouterr().out.strip().splitlines()[-1]
    assert key.startswith("lk_") and " " not in key
    r = client.get("/v1/me", headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 200 and r.json()["role"] == "admin" and r.json()["name"] == "ops"


def test_scoped_keys_need_their_scope(cli_env, capsys) -> None:
    assert main(["keys", "create", "--role", "branch"]) == 2
    assert main(["keys", "create", "--role", "partner"]) == 2
    assert main(["keys", "create", "--role", "admin", "--branch", "B1"]) == 2
    assert main(["keys", "create", "--role", "branch", "--branch", "B1"]) == 0


def test_list_shows_no_secret_and_revoke_works(cli_env, client: TestClient, capsys) -> None:
    main(["keys", "create", "--role", "partner", "--partner", "SHOP", "--name", "shop"])
    key = capsys.readouterr().out.strip().splitlines()[-1]
    assert main(["keys", "list"]) == 0
    listed = capsys.readouterr().out
    assert key not in listed
    rows = [json.loads(line) for line in listed.strip().splitlines()]
    shop = next(r for r in rows if r["name"] == "shop")
    assert shop["partner_id"] == "SHOP" and key.startswith(shop["prefix"])
    assert main(["keys", "revoke", str(shop["id"])]) == 0
    assert client.get("/v1/me", headers={"Authorization": f"Bearer {key}"}).status_code == 401
    assert main(["keys", "revoke", "999999"]) == 2


def test_migrate_is_idempotent(cli_env, capsys) -> None:
    assert main(["migrate"]) == 0
    assert main(["migrate"]) == 0
    from app.migrate import pending

    assert not pending(cli_env)


def test_scorecard_fit_and_batch_score(tmp_path, capsys) -> None:
    import csv
    from pathlib import Path

    from scoring import load_scorecard
    from scoring.application_features import APPLICATION_FIELDS

    data = Path(__file__).resolve().parent / "data" / "germancredit.csv"
    card_path = tmp_path / "card.json"
    assert main(["scorecard", "fit", "--data", str(data), "--out", str(card_path), "--version", "t-1"]) == 0
    card = load_scorecard(str(card_path))
    assert card.version == "t-1"
    rows = [
        {"term_months": 24, "amount": 300000, "age_years": 35, "employment_months": 60, "instalment_share": 0.2,
         "housing": "own", "existing_credits": 1, "dependents": 1, "credit_history": "good", "purpose": "car"},
        {"term_months": 48, "amount": 1500000, "age_years": 22, "employment_months": 2, "instalment_share": 0.5,
         "housing": "rent", "existing_credits": 3, "dependents": 3, "credit_history": "delinquent", "purpose": "other"},
    ]
    src, out = tmp_path / "in.csv", tmp_path / "out.csv"
    with src.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(APPLICATION_FIELDS))
        w.writeheader()
        w.writerows(rows)
    assert main(["score", "--input", str(src), "--output", str(out), "--card", str(card_path)]) == 0
    scored = list(csv.DictReader(out.open()))
    assert len(scored) == 2 and all(r["grade"] and 0 < float(r["pd"]) < 1 for r in scored)
    assert float(scored[0]["pd"]) < float(scored[1]["pd"])


def test_openapi_command_writes_the_committed_contract(tmp_path) -> None:
    from pathlib import Path

    out = tmp_path / "openapi.yaml"
    assert main(["openapi", "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == (Path(__file__).resolve().parents[1] / "openapi.yaml").read_text(
        encoding="utf-8"
    )
