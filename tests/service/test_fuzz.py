"""Schemathesis fuzzing of every API operation from the service's own OpenAPI schema, as an
admin, as a case worker limited to grid G-A, and without a key: no 5xx, and every status and
body as documented; invalid data refused, valid data not (schemathesis's default checks).

Bounded and reproducible: a fixed number of examples per operation, derandomized. On SQLite
only (the API tests cover PostgreSQL); a one-off run on PostgreSQL found nothing more.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import settings
from schemathesis.python import asgi

from service.auth import create_key
from service.main import create_app
from service.schemas import UNIT_PARTS
from service.settings import Settings


class LateApp:
    """The app as schemathesis binds it at collection; the fixture builds the real one (its
    database and model store are fixtures) and puts it behind this."""

    app: Any = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


def _spec() -> dict[str, Any]:
    """The published schema, with what a unit to score needs (at least one of its parts,
    not null) written in, so that the fuzzer's valid units are valid."""
    spec = create_app(Settings(database_url="sqlite://")).openapi()
    kinds = {"household_id": "string", "survey": "object", "case": "object"}
    spec["components"]["schemas"]["ScoreRequest"]["anyOf"] = [
        {"required": [name], "properties": {name: {"type": kinds[name]}}} for name in UNIT_PARTS
    ]
    return spec


APP = LateApp()
schema = schemathesis.openapi.from_dict(_spec())
schema.app = APP
schema.config.update(base_url="http://testserver")


@pytest.fixture(scope="module")
def fuzz_keys(model_store, tmp_path_factory):
    db = tmp_path_factory.mktemp("fuzz") / "risk.db"
    APP.app = create_app(
        Settings(
            database_url=f"sqlite:///{db}",
            mlflow_uri=model_store,
            rate_limit_per_minute=0,
            failed_keys_per_minute=0,
        )
    )
    with asgi.get_client(APP):  # starts the app (lifespan) for the module
        state = APP.app.state
        yield {
            "admin": create_key(state.db, "admin"),
            "grid_a": create_key(state.db, "caseworker", ["G-A"]),
        }
    asgi.shutdown_lifespans()
    APP.app = None


@pytest.mark.parametrize("who", ["admin", "grid_a", None])
@schema.parametrize()
@settings(max_examples=10, derandomize=True, deadline=None)
def test_every_operation_answers_as_documented(case, fuzz_keys, who):
    headers = {"Authorization": f"Bearer {fuzz_keys[who]}"} if who else None
    case.call_and_validate(headers=headers)
