"""One settings class, read from ``LOANS_*`` environment variables.

Every knob an operator can turn is here, so the README's table of settings is complete
by construction (``tests/core/test_config.py`` checks the two agree).
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LOANS_", extra="ignore")

    database_url: str = Field(
        "sqlite:///./loans.db",
        description="SQLAlchemy URL. SQLite file (default) or "
        "postgresql+psycopg://user@host:port/db for production.",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", description="Level of the JSON logs written to stderr."
    )
    db_pool_size: int = Field(
        40, ge=1, le=500,
        description="PostgreSQL connection pool size; matches the worker thread pool.",
    )
    db_connect_timeout_seconds: int = Field(
        3, ge=1, le=60, description="How long a new database connection may take."
    )
    sqlite_busy_timeout_ms: int = Field(
        5000, ge=0, le=600_000, description="How long SQLite waits for a writer's lock."
    )
    max_body_bytes: int = Field(
        1_048_576, ge=1024, description="Largest request body accepted; larger gets 413."
    )
    max_page_size: int = Field(
        100, ge=1, le=1000, description="Cap on `limit` in list endpoints."
    )
    rate_limit_per_minute: int = Field(
        0, ge=0,
        description="Requests per minute per API key; 429 with Retry-After above it. "
        "0 turns the limit off. Shared through Redis when LOANS_REDIS_URL is set.",
    )
    retry_after_seconds: int = Field(
        5, ge=1, le=3600,
        description="Retry-After sent with 503 when the database is unreachable.",
    )
    scorecard_path: str | None = Field(
        None, description="Scorecard JSON to use; unset uses the shipped default."
    )
    key_cache_seconds: float = Field(
        5.0, ge=0, le=300,
        description="How long a verified API key is remembered in a worker; a revocation takes effect "
        "within this time. 0 checks the database on every request.",
    )
    decision_policy_path: str | None = Field(
        None, description="A decision policy JSON to use; unset uses the shipped policy-2026.11-v1."
    )
    business_date: date | None = Field(
        None,
        description="Pins the business date (YYYY-MM-DD) for UAT, training, replays and end-to-end "
        "tests; unset, it is today's UTC date.",
    )
    redis_url: str | None = Field(
        None,
        description="Redis URL (redis://host:6379/0) for the rate limiter, so every worker and replica "
        "shares one limit; unset, each process counts its own.",
    )
    idempotency_ttl_hours: int = Field(
        24, ge=1, le=24 * 30, description="How long an Idempotency-Key is remembered."
    )

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    return Settings()
