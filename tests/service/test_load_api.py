"""``POST /v1/admin/load``, ``GET /v1/households/{id}`` and ``risk load`` over a loaded ledger."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from risk.cli import main
from risk.synth import generate_to_dir
from service.auth import create_key
from service.db import Database
from service.main import create_app
from service.settings import Settings
from service.tables import AuditEvent

AS_OF = "2024-06-30"


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("load-dir")
    generate_to_dir(folder, households=200, years=2, seed=8, progress=False)
    return folder


@pytest.fixture
def served(fresh_database_url: str, model_store: str, ledger: Path) -> Iterator[TestClient]:
    settings = Settings(
        database_url=fresh_database_url,
        mlflow_uri=model_store,
        load_dir=ledger,
        failed_keys_per_minute=0,
    )
    with TestClient(create_app(settings)) as client:
        yield client


def _key(client: TestClient, role: str, grids: list[str] | None = None) -> dict[str, str]:
    key = create_key(client.app.state.db, role, grids)  # type: ignore[attr-defined]
    return {"Authorization": f"Bearer {key}"}


def test_admin_load_fills_the_visit_list_and_households(served: TestClient, ledger: Path) -> None:
    admin = _key(served, "admin")
    body = {"households": "households.parquet", "cases": "cases.parquet", "as_of": AS_OF}
    for refused, status in (
        ({**body, "households": "../households.parquet"}, 404),
        ({**body, "households": "absent.parquet"}, 404),
        ({}, 422),
    ):
        assert served.post("/v1/admin/load", json=refused, headers=admin).status_code == status
    assert (
        served.post("/v1/admin/load", json=body, headers=_key(served, "caseworker")).status_code
        == 403
    )
    loaded = served.post("/v1/admin/load", json=body, headers=admin)
    assert loaded.status_code == 200, loaded.text
    waves = pd.read_parquet(ledger / "households.parquet")
    assert loaded.json()["counts"]["waves_added"] == len(waves)
    assert (
        "载入台账" in loaded.json()["summary_zh"] and "ledger loaded" in loaded.json()["summary_en"]
    )
    again = served.post("/v1/admin/load", json=body, headers=admin).json()["counts"]
    assert again["waves_added"] == again["cases_added"] == again["scores_added"] == 0

    grid = waves["grid_id"].value_counts().index[0]
    visits = served.get(f"/v1/visits?grid={grid}&capacity=50", headers=admin).json()["visits"]
    assert visits and {v["grid_id"] for v in visits} == {grid}
    assert all(v["tier"] in ("yellow", "red") and v["reasons"] for v in visits)

    household = visits[0]["household_id"]
    file = served.get(f"/v1/households/{household}", headers=admin)
    assert file.status_code == 200
    ours = waves[waves["household_id"] == household]
    assert [s["survey_date"] for s in file.json()["surveys"]] == [
        d.date().isoformat() for d in sorted(ours["survey_date"])
    ]
    elsewhere = _key(served, "caseworker", ["G-elsewhere"])
    assert served.get(f"/v1/households/{household}", headers=elsewhere).status_code == 404


def test_cli_load_refuses_a_bad_key_and_loads_with_a_good_one(
    fresh_database_url: str,
    model_store: str,
    ledger: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("RISK_DATABASE_URL", fresh_database_url)
    monkeypatch.setenv("RISK_MLFLOW_URI", model_store)
    files = [
        "--households",
        str(ledger / "households.parquet"),
        "--cases",
        str(ledger / "cases.parquet"),
    ]
    assert main(["load", "--key", "rk_nothing_here", *files, "--quiet"]) == 2
    assert "the key is unknown or revoked" in capsys.readouterr().err
    db = Database(fresh_database_url)
    with db.session() as session:  # the refusal is audited
        assert session.scalars(select(AuditEvent.action)).all() == ["bad_key"]
    key = create_key(db, "admin")
    db.engine.dispose()
    assert main(["load", "--key", key, *files, "--as-of", AS_OF, "--quiet"]) == 0
    said = capsys.readouterr().out
    assert (
        "载入台账" in said and "ledger loaded" in said and dt.date(2024, 6, 30).isoformat() in said
    )
