"""The ``loans`` console script: keys and migrations, as an operator runs them."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from app.cli import main
from app.config import get_settings


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
