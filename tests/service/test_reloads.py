"""A reload asked of one worker process reaches every worker sharing the database."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from conftest import auth
from fastapi.testclient import TestClient
from utils.stores import store_with_two_versions

from risk.registry import Registry
from service.auth import create_key
from service.main import create_app
from service.settings import Settings

POLL = 0.05


@pytest.fixture
def two_versions(model_store, tmp_path) -> str:
    return store_with_two_versions(model_store, tmp_path / "registry")


def _worker(tmp_path: Path, uri: str) -> TestClient:
    """One worker process's app; all share the database file under ``tmp_path``."""
    database = f"sqlite:///{tmp_path / 'risk.db'}"
    settings = Settings(database_url=database, mlflow_uri=uri, reload_poll_seconds=POLL)
    return TestClient(create_app(settings))


def test_a_reload_asked_of_one_worker_is_followed_by_the_others(two_versions, tmp_path):
    with _worker(tmp_path, two_versions) as first, _worker(tmp_path, two_versions) as second:
        admin = auth(create_key(first.app.state.db, "admin", label="reload test"))
        served = second.app.state.models.model
        Registry(two_versions).client.set_registered_model_alias("risk-triage", "champion", "2")
        time.sleep(10 * POLL)
        assert second.app.state.models.model is served  # a new champion alone changes nothing

        assert first.post("/v1/admin/reload", headers=admin).status_code == 200

        deadline = time.monotonic() + 10
        while second.app.state.models.model is served and time.monotonic() < deadline:
            time.sleep(POLL)
        assert second.app.state.models.model is not served
        assert second.get("/readyz").status_code == 200


def test_a_worker_started_after_a_reload_does_not_load_twice(two_versions, tmp_path):
    with _worker(tmp_path, two_versions) as first:
        admin = auth(create_key(first.app.state.db, "admin", label="reload test"))
        assert first.post("/v1/admin/reload", headers=admin).status_code == 200
        with _worker(tmp_path, two_versions) as late:
            holder = late.app.state.models
            loaded = holder.model
            time.sleep(10 * POLL)
            assert holder.model is loaded and holder.reload_seen >= 1
