"""The service's settings: one class, read from environment variables prefixed ``RISK_``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "settings"]


class Settings(BaseSettings):
    """Everything an operator may set; defaults run a local, embedded service."""

    model_config = SettingsConfigDict(env_prefix="RISK_", extra="ignore")

    #: SQLAlchemy URL; SQLite file by default, ``postgresql+psycopg://...`` in production.
    database_url: str = "sqlite:///risk.db"
    #: On PostgreSQL, the most a statement, commit or wait for a pooled connection may
    #: take before the request answers 503 (a connect: libpq's minimum, 2 s).
    db_timeout_seconds: float = 1.0
    #: MLflow tracking/registry store; unset, ``MLFLOW_TRACKING_URI`` or the default under
    #: ``RISK_HOME`` (:func:`risk.store.resolve`).
    mlflow_uri: str | None = None
    #: The model the service serves (only from the configured registry).
    model_uri: str = "models:/risk-triage@champion"
    #: Largest request body accepted, in bytes (larger gets 413).
    max_body_bytes: int = 2_000_000
    #: Most scores ``GET /v1/monitor`` and the /monitor page compute a report over in a
    #: request (a city's million take a minute and gigabytes: 409, run ``risk monitor``).
    monitor_live_scores: int = 200_000
    #: Most units in one ``POST /v1/score/batch``.
    batch_limit: int = 1000
    #: Requests per key per minute (token bucket); 0 turns the limit off.
    rate_limit_per_minute: int = 60_000
    #: Failed keys (API or login page) per client address per minute before it gets 429
    #: (bursts of 10); 0 turns the throttle off.
    failed_keys_per_minute: int = 30
    #: Threads per worker process for the blocking part of requests (database, model).
    #: More than the database pool only queue there, each thread keeping memory of its
    #: own; requests beyond them wait their turn on the event loop.
    threads: int = 10
    #: The centre's rules for a case's life (owners, deadlines, levels, closure); unset,
    #: the packaged ``service/config/centre.yaml``.
    centre_config: str | None = None
    #: The folder ``POST /v1/admin/load`` reads ledgers from (a ledger of a million
    #: households is put there, not sent in a request body); unset, that endpoint is off.
    load_dir: Path | None = None
    #: How often each worker process checks whether a reload was asked of another one.
    reload_poll_seconds: float = 2.0


@lru_cache
def settings() -> Settings:
    return Settings()
