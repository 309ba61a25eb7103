"""The README documents every setting the service reads."""

from __future__ import annotations

from pathlib import Path

from app.core.config import Settings

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def test_readme_has_a_row_for_every_setting() -> None:
    for name in Settings.model_fields:
        assert f"`LOANS_{name.upper()}`" in README, f"README lacks LOANS_{name.upper()}"


def test_defaults_need_no_configuration() -> None:
    s = Settings()
    assert s.database_url == "sqlite:///./loans.db" and s.is_sqlite
