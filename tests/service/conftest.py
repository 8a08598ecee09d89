"""A served model and the service on SQLite and on PostgreSQL (when one is reachable).

In CI (``RISK_REQUIRE_POSTGRES=1``) an unreachable PostgreSQL is an error, not a skip.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.auth import create_key
from service.main import create_app
from service.settings import Settings

POSTGRES_ADMIN = os.environ.get(
    "RISK_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _postgres_database() -> Iterator[str]:
    import psycopg

    admin = POSTGRES_ADMIN.replace("postgresql+psycopg://", "postgresql://")
    name = f"risk_test_{uuid.uuid4().hex[:8]}"
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        if os.environ.get("RISK_REQUIRE_POSTGRES"):
            raise
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_ADMIN}: {exc}")
    base = POSTGRES_ADMIN.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'risk.db'}"
    else:
        yield from _postgres_database()


@pytest.fixture(scope="session")
def client(database_url: str, model_store: str) -> Iterator[TestClient]:
    # every test shares this client's address: its failed keys must not add up to a 429
    # (tests/service/test_security.py throttles an app of its own)
    settings = Settings(database_url=database_url, mlflow_uri=model_store, failed_keys_per_minute=0)
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def keys(client: TestClient) -> dict[str, str]:
    """One key per role, plus a caseworker limited to grid G-A."""
    db = client.app.state.db  # type: ignore[attr-defined]
    out = {
        role: create_key(db, role, label=f"test {role}")
        for role in ("caseworker", "psychologist", "supervisor", "datascientist", "admin")
    }
    out["grid_a"] = create_key(db, "caseworker", ["G-A"], label="grid A only")
    return out


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def stored_household(client: TestClient, key: str, survey: dict[str, Any], grid: str) -> str:
    """A new household's survey wave (``survey`` fields) stored in ``grid``; its id."""
    household = unique("H")
    body = {**survey, "household_id": household, "grid_id": grid}
    response = client.post("/v1/households", json=body, headers=auth(key))
    assert response.status_code == 201, response.text
    return household


@pytest.fixture
def page(client: TestClient) -> Iterator[TestClient]:
    """A browser of its own (its own cookie jar) on the session's app."""
    with_jar = TestClient(client.app, follow_redirects=False)
    yield with_jar
    with_jar.close()


def page_login(page: TestClient, key: str) -> None:
    """Log ``page`` (a client with its own cookie jar) in with ``key`` through the form."""
    page.get("/login")
    response = page.post("/login", data={"key": key, "csrf": page.cookies["risk_csrf"]})
    assert response.status_code == 303, response.text


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def tmp_dir(tmp_path: Path) -> Path:
    return tmp_path


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A new, empty database for one test (PostgreSQL: created and dropped here)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
    else:
        yield from _postgres_database()
