"""Per-key rate limit: a burst beyond it gets 429 with Retry-After; another key is unaffected."""

from __future__ import annotations

from fastapi.testclient import TestClient
from service.conftest import auth

from service.auth import create_key
from service.main import create_app
from service.settings import Settings


def test_rate_limit_per_key(model_store, tmp_path):
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'r.db'}",
        mlflow_uri=model_store,
        rate_limit_per_minute=60,
    )
    with TestClient(create_app(settings)) as client:
        busy = create_key(client.app.state.db, "caseworker")
        calm = create_key(client.app.state.db, "caseworker")
        statuses = [client.get("/v1/model", headers=auth(busy)).status_code for _ in range(15)]
        assert statuses[0] == 200 and statuses[-1] == 429
        refused = client.get("/v1/model", headers=auth(busy))
        assert refused.status_code == 429 and refused.headers["retry-after"]
        assert refused.json()["message_en"].startswith("too many requests")
        assert client.get("/v1/model", headers=auth(calm)).status_code == 200
