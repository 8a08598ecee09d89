"""Faults the service must survive: the database going away and coming back, the process
killed mid-write, a corrupt or missing model at start and on reload."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from service.conftest import POSTGRES_ADMIN, _postgres_database, auth, unique
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from utils.builders import case_row
from utils.proxy import TcpProxy
from utils.served import request, served
from utils.stores import store_with_corrupt_version

from risk.cli import main
from risk.registry import Registry
from service.auth import create_key
from service.db import Database, migrate
from service.main import create_app
from service.settings import Settings


def _case(case_id: str) -> dict:
    """A case as the API takes it (no training-only outcome)."""
    row = case_row(case_id=case_id, household_id=f"H-{case_id}")
    fields = {k: v for k, v in row.items() if k not in ("outcome", "outcome_at")}
    return {**fields, "grid_id": "G-F", "new_household": True}  # each a new household


def _caseworker_key(url: str) -> str:
    migrate(url)
    db = Database(url)
    try:
        return create_key(db, "caseworker", label="fault test")
    finally:
        db.engine.dispose()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    yield from _postgres_database()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'risk.db'}"
    else:
        yield from _postgres_database()


# --- the database goes away and comes back -------------------------------------------------


def test_postgres_cut_and_restored_gives_503_then_recovers_without_restart(
    postgres_url, model_store
):
    server = make_url(POSTGRES_ADMIN)
    proxy = TcpProxy((server.host or "127.0.0.1", server.port or 5432))
    url = make_url(postgres_url).set(host="127.0.0.1", port=proxy.port)
    settings = Settings(database_url=url.render_as_string(False), mlflow_uri=model_store)
    try:
        with TestClient(create_app(settings)) as client:
            key = create_key(client.app.state.db, "caseworker", label="fault test")
            assert client.get("/readyz").status_code == 200
            lost = _case(unique("C"))
            with proxy.cut():
                ready = client.get("/readyz")
                assert ready.status_code == 503 and ready.json()["error"] == "db_unavailable"
                refused = client.post("/v1/cases", json=lost, headers=auth(key))
                assert refused.status_code == 503
                assert refused.json()["message_en"].startswith("database unavailable")
            assert client.get("/readyz").status_code == 200
            case_url = f"/v1/cases/{lost['case_id']}"
            assert client.get(case_url, headers=auth(key)).status_code == 404
            assert client.post("/v1/cases", json=lost, headers=auth(key)).status_code == 201
            assert client.get(case_url, headers=auth(key)).json()["scores"]
    finally:
        proxy.close()


def _timed(call, *args, **kwargs) -> tuple[int, dict[str, str], float]:
    started = time.monotonic()
    response = call(*args, **kwargs)
    return response.status_code, dict(response.headers), time.monotonic() - started


def test_a_stalled_postgres_answers_503_at_once_and_health_stays_answered(
    postgres_url, model_store
):
    """The database's connection black-holed (every byte held, nothing refused): more
    stalled requests than threads answer 503 with Retry-After, /healthz and /v1/model are
    answered meanwhile, and the service serves again once the database flows again."""
    server = make_url(POSTGRES_ADMIN)
    proxy = TcpProxy((server.host or "127.0.0.1", server.port or 5432))
    url = make_url(postgres_url).set(host="127.0.0.1", port=proxy.port)
    settings = Settings(database_url=url.render_as_string(False), mlflow_uri=model_store)
    try:
        with TestClient(create_app(settings)) as client:
            key = auth(create_key(client.app.state.db, "caseworker", label="stall test"))
            assert client.get("/v1/model", headers=key).status_code == 200  # key now cached
            with proxy.paused(), ThreadPoolExecutor(14) as pool:
                stalled = [
                    pool.submit(
                        _timed, client.post, "/v1/cases", json=_case(unique("C")), headers=key
                    )
                    for _ in range(12)
                ]
                time.sleep(0.3)
                health = pool.submit(_timed, client.get, "/healthz")
                model = pool.submit(_timed, client.get, "/v1/model", headers=key)
                answers = [f.result(timeout=10) for f in stalled]
                assert health.result(timeout=10)[0] == 200
                assert model.result(timeout=10)[0] in (200, 503)
                ready = _timed(client.get, "/readyz")
            assert ready[0] == 503 and ready[2] < 3.0
            assert [a[0] for a in answers] == [503] * 12
            assert all(a[1].get("retry-after") == "1" for a in answers)
            slowest = max(a[2] for a in answers)
            assert slowest < 3.0, slowest  # a connect attempt: libpq's minimum, 2 s
            assert health.result()[2] < 3.0 and model.result()[2] < 3.0
            assert _timed(client.get, "/readyz")[0] == 200
            assert client.post("/v1/cases", json=_case(unique("C")), headers=key).status_code == 201
            print(
                f"stalled: slowest 503 {slowest:.2f} s, /healthz {health.result()[2]:.2f} s, "
                f"/v1/model {model.result()[2]:.2f} s, /readyz {ready[2]:.2f} s"
            )
    finally:
        proxy.resume()
        proxy.close()


def test_risk_serve_with_postgres_down_says_so_and_exits_3(model_store, monkeypatch, capsys):
    proxy = TcpProxy(("127.0.0.1", 5432))
    port = proxy.port
    proxy.close()  # nothing listens there now
    url = f"postgresql+psycopg://postgres:s3cret@127.0.0.1:{port}/test"
    monkeypatch.setenv("RISK_DATABASE_URL", url)
    monkeypatch.setenv("RISK_MLFLOW_URI", model_store)
    monkeypatch.setattr("service.server.run", _must_not_serve)
    assert main(["serve"]) == 3
    printed = " ".join(capsys.readouterr().err.split())
    assert f"无法连接数据库 postgresql+psycopg://postgres:***@127.0.0.1:{port}/test" in printed
    assert "cannot reach the database" in printed
    assert "s3cret" not in printed and "Traceback" not in printed


def test_a_damaged_sqlite_file_is_named_by_readyz_and_writes(model_store, tmp_path):
    path = tmp_path / "risk.db"
    settings = Settings(database_url=f"sqlite:///{path}", mlflow_uri=model_store)
    with TestClient(create_app(settings)) as client:
        key = auth(create_key(client.app.state.db, "caseworker", label="corrupt test"))
        assert client.post("/v1/cases", json=_case(unique("C")), headers=key).status_code == 201
    data = bytearray(path.read_bytes())
    data[4096:] = b"\xff" * (len(data) - 4096)  # every page after the header page
    path.write_bytes(bytes(data))
    with TestClient(create_app(settings)) as client:
        ready = client.get("/readyz")
        assert ready.status_code == 503 and ready.json()["error"] == "db_corrupt"
        written = client.post("/v1/cases", json=_case(unique("C")), headers=key)
        assert written.status_code == 503 and written.json()["error"] == "db_corrupt"
        assert "retry-after" not in written.headers  # retrying will not help
        assert client.get("/healthz").status_code == 200


def test_risk_serve_on_a_file_that_is_no_database_says_so_and_exits_3(
    model_store, tmp_path, monkeypatch, capsys
):
    path = tmp_path / "risk.db"
    path.write_bytes(b"this is not a database" * 500)
    monkeypatch.setenv("RISK_DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.setenv("RISK_MLFLOW_URI", model_store)
    monkeypatch.setattr("service.server.run", _must_not_serve)
    assert main(["serve"]) == 3
    printed = " ".join(capsys.readouterr().err.split())
    assert "已损坏或不是数据库文件" in printed and "is damaged or not a database file" in printed
    assert "Traceback" not in printed


# --- the process is killed while it writes -------------------------------------------------


def test_killed_mid_write_every_case_reported_stored_is_whole(database_url, model_store, tmp_path):
    key = _caseworker_key(database_url)
    env = {"RISK_DATABASE_URL": database_url, "RISK_MLFLOW_URI": model_store}
    stored: list[str] = []
    enough = threading.Event()

    def post(case_id: str) -> None:
        try:
            status, _ = request(port, "POST", "/v1/cases", _case(case_id), key, timeout=60)
        except OSError:
            return  # cut off by the kill: the client does not know
        if status == 201:
            stored.append(case_id)
            if len(stored) >= 40:
                enough.set()

    with served(env, tmp_path / "serve.log") as server:
        port = server.port
        with ThreadPoolExecutor(8) as pool:
            for i in range(600):
                pool.submit(post, f"K{i:04d}")
            assert enough.wait(300), server.log.read_text()
            server.process.send_signal(signal.SIGKILL)
            server.process.wait(30)
        assert server.process.returncode == -signal.SIGKILL
    assert 40 <= len(stored) < 600, "the kill came after every request"

    with served(env, tmp_path / "serve.log") as again:
        for case_id in stored:
            status, body = request(again.port, "GET", f"/v1/cases/{case_id}", key=key)
            assert status == 200 and len(body["scores"]) == 1, case_id
            assert body["scores"][0]["result"]["tier"] in ("green", "yellow", "red")
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            cases = set(connection.scalars(text("SELECT case_id FROM cases")))
            scored = set(connection.scalars(text("SELECT case_id FROM scores")))
            audited = set(
                connection.scalars(
                    text("SELECT resource FROM audit_log WHERE action = 'store_case'")
                )
            )
            assert set(stored) <= cases
            assert cases == scored, "a case without its score, or a score without its case"
            assert audited == {f"case:{c}" for c in cases}
            if engine.dialect.name == "sqlite":
                assert connection.scalar(text("PRAGMA integrity_check")) == "ok"
    finally:
        engine.dispose()


# --- a missing or corrupt model -------------------------------------------------------------

MISSING = "models:/risk-triage/99"
UNIT = {"case": {"source": "police", "dispute_type": "marital", "counterpart": "spouse"}}


@pytest.fixture
def corrupt_store(model_store, tmp_path) -> str:
    """A registry whose champion (version 1) is good and whose version 2 is corrupt."""
    return store_with_corrupt_version(model_store, tmp_path / "registry")


def _app(tmp_path: Path, uri: str, model: str = "models:/risk-triage@champion") -> TestClient:
    database = f"sqlite:///{tmp_path / 'risk.db'}"
    return TestClient(create_app(Settings(database_url=database, mlflow_uri=uri, model_uri=model)))


def _must_not_serve(*_: object) -> None:
    raise AssertionError("risk serve started a service that can never become ready")


def _not_ready_naming(client: TestClient, error: str, model: str) -> None:
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.json()["error"] == error
    assert model in ready.json()["message_zh"] and model in ready.json()["message_en"]


def test_a_model_not_in_the_registry_is_named_by_readyz_and_refused_by_risk_serve(
    model_store, tmp_path, monkeypatch, capsys
):
    with _app(tmp_path, model_store, MISSING) as client:
        _not_ready_naming(client, "model_not_registered", MISSING)
    for name, value in (
        ("RISK_MODEL_URI", MISSING),
        ("RISK_MLFLOW_URI", model_store),
        ("RISK_DATABASE_URL", f"sqlite:///{tmp_path / 'serve.db'}"),
    ):
        monkeypatch.setenv(name, value)
    monkeypatch.setattr("service.server.run", _must_not_serve)
    assert main(["serve"]) == 2
    printed = capsys.readouterr().err
    assert f"模型库中没有模型 {MISSING}" in printed and f"model {MISSING} is not" in printed


def test_a_corrupt_champion_at_start_keeps_the_service_up_and_not_ready(corrupt_store, tmp_path):
    Registry(corrupt_store).client.set_registered_model_alias("risk-triage", "champion", "2")
    with _app(tmp_path, corrupt_store) as client:
        _not_ready_naming(client, "model_unreadable", "models:/risk-triage@champion")
        assert client.get("/healthz").status_code == 200


def test_reload_onto_a_corrupt_champion_keeps_the_old_model_serving(corrupt_store, tmp_path):
    registry = Registry(corrupt_store)
    with _app(tmp_path, corrupt_store) as client:
        admin = auth(create_key(client.app.state.db, "admin", label="fault test"))
        served = client.get("/v1/model", headers=admin).json()["version"]
        registry.client.set_registered_model_alias("risk-triage", "champion", "2")
        reload = client.post("/v1/admin/reload", headers=admin)
        assert reload.status_code == 503 and reload.json()["error"] == "model_unreadable"
        assert "models:/risk-triage@champion" in reload.json()["message_en"]
        assert client.get("/readyz").json()["model_version"] == served
        scored = client.post("/v1/score", json=UNIT, headers=admin)
        assert scored.status_code == 200 and scored.json()["model"]["version"] == served
        registry.client.set_registered_model_alias("risk-triage", "champion", "1")
        assert client.post("/v1/admin/reload", headers=admin).status_code == 200
