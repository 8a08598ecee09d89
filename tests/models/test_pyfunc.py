"""The registered pyfunc as a data scientist uses it: ``mlflow.pyfunc.load_model`` on a
``models:/`` URI, contract records as one writes them (ints, ISO dates, no ledger history),
a frame in and the full result out, in a notebook and through ``mlflow models serve``."""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import mlflow
import pandas as pd
import pytest
from mlflow.exceptions import MlflowException
from mlflow.types import DataType
from utils.fitted import fitted
from utils.served import free_port, request

from risk.models.pyfunc import log_model
from risk.registry import MODEL_NAME, Registry

#: A new case as a worker would type it: whole numbers, ISO dates, no history, no as_of.
CASE = {
    "household_id": "H-1",
    "survey_date": "2024-03-01",
    "grid_id": "G-1",
    "area": "rural",
    "household_size": 4,
    "children": 2,
    "elderly": 1,
    "phq9": 12,
    "alcohol_misuse": "frequent",
    "opened_at": "2024-03-05",
    "source": "police",
    "dispute_type": "marital",
    "counterpart": "spouse",
    "threats": True,
    "physical_violence": True,
    "prior_incidents_12m": 3,
}
#: A survey wave alone, with answers left out (None) where the case above has them.
SURVEY = {
    "household_id": "H-2",
    "survey_date": "2024-02-20",
    "grid_id": "G-1",
    "area": "urban",
    "household_size": 2,
    "children": 0,
    "elderly": 0,
    "phq9": None,
    "threats": None,
}


@pytest.fixture(scope="module")
def model_uri(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Version 1 of risk-triage in a new store, logged as ``risk train`` logs it; MLflow's
    tracking URI is left pointing at that store, as a notebook would set it."""
    root = tmp_path_factory.mktemp("pyfunc")
    registry = Registry(f"sqlite:///{root / 'mlflow.db'}")
    small = fitted()
    with mlflow.start_run(experiment_id=registry.experiment("pyfunc")):
        log_model(small.fit.model, small.splits["test"].units, root, MODEL_NAME)
    mlflow.set_tracking_uri(registry.uri)
    return f"models:/{MODEL_NAME}/1"


@pytest.fixture(scope="module")
def loaded(model_uri: str) -> mlflow.pyfunc.PyFuncModel:
    return mlflow.pyfunc.load_model(model_uri)


def expected(record: dict[str, Any]) -> dict[str, Any]:
    """The service's answer for the unit, scored as of its own date."""
    as_of = record.get("opened_at") or record["survey_date"]
    return fitted().fit.model.predict_record({**record, "as_of": as_of}, lang="en")


def assert_same_result(row: pd.Series, want: dict[str, Any]) -> None:
    """One output row says what the one-unit result says, field by field."""
    assert row["decision"] == want["decision"]
    assert (row["tier"], row["model_tier"]) == (want["tier"], want["model_tier"])
    for tier, p in want["probabilities"].items():
        assert row[f"p_{tier}"] == pytest.approx(p, abs=1e-9)
    flags = row["flags"].split(";") if row["flags"] else []
    assert flags == [f["code"] for f in want["flags"]]
    reasons = [row[f"reason_{j}_code"] for j in (1, 2, 3) if pd.notna(row[f"reason_{j}_code"])]
    assert reasons == [r["code"] for r in want["reasons"]]
    assert row["reason_1_en"] == want["reasons"][0]["label_en"]
    assert row["reason_1_size"] == pytest.approx(want["reasons"][0]["size"], abs=1e-9)
    assert row["prediction_set"].split("|") == want["prediction_set"]  # as review.set_strings
    assert bool(row["review_recommended"]) == want["review_recommended"]
    assert row["follow_up_days"] == want["follow_up_days"]
    assert pd.Timestamp(row["follow_up_date"]).date().isoformat() == want["follow_up_date"]
    assert row["model_name"] == MODEL_NAME


def test_a_notebook_scores_a_case_written_with_ints_and_iso_dates(loaded):
    frame = pd.DataFrame([CASE])
    assert frame["phq9"].dtype == "int64" and frame["opened_at"].dtype != "datetime64[ns]"
    got = loaded.predict(frame)
    assert len(got) == 1
    assert_same_result(got.iloc[0], expected(CASE))
    assert got.iloc[0]["decision"] == "intake"
    assert got.iloc[0]["as_of"] == pd.Timestamp("2024-03-05")  # the case's own date


def test_several_records_with_answers_left_out(loaded):
    got = loaded.predict(pd.DataFrame([CASE, SURVEY]))
    assert list(got["household_id"]) == ["H-1", "H-2"]
    for (_, row), record in zip(got.iterrows(), (CASE, SURVEY), strict=True):
        assert_same_result(row, expected(record))
    assert got.iloc[1]["decision"] == "screening"


def test_without_reasons_the_tiers_are_the_same(loaded):
    full = loaded.predict(pd.DataFrame([CASE, SURVEY]))
    lean = loaded.predict(pd.DataFrame([CASE, SURVEY]), params={"reasons": False})
    assert "reason_1_code" not in lean
    assert list(lean["tier"]) == list(full["tier"])


@pytest.mark.parametrize(
    ("field", "value", "said"),
    [
        ("area", "Rural", "not an allowed value: Rural (allowed: urban, rural)"),
        ("phq9", 2.5, "not a whole number: 2.5"),
        ("opened_at", "2024-13-45", "not a date: 2024-13-45"),
        ("threats", "maybe", "not yes/no: maybe"),
    ],
)
def test_a_value_outside_the_contract_is_named_with_its_row(loaded, field, value, said):
    with pytest.raises(MlflowException, match=rf"row 1, {field}: .* / {re.escape(said)}$"):
        loaded.predict(pd.DataFrame([CASE, {**CASE, field: value}]))


def test_the_signature_gives_the_outputs_and_the_example_shows_a_case(model_uri, loaded):
    outputs = loaded.metadata.get_output_schema()
    answer = fitted().fit.model.predict_frame(fitted().splits["test"].units.head(5))
    assert outputs.input_names() == list(answer.columns)
    types = {spec.name: spec.type for spec in outputs.inputs}
    assert (types["tier"], types["p_red"], types["follow_up_date"]) == (
        DataType.string,
        DataType.double,
        DataType.datetime,
    )
    folder = mlflow.artifacts.download_artifacts(model_uri)
    example = mlflow.models.Model.load(folder).load_input_example(folder)
    assert example.loc[0, "unit"] == "case"
    assert isinstance(example.loc[0, "opened_at"], str)  # an ISO date, as written
    assert loaded.predict(example).loc[0, "decision"] == "intake"


@pytest.mark.slow
def test_mlflow_models_serve_scores_json_records(model_uri, tmp_path):
    """``mlflow models serve --env-manager local`` on 127.0.0.1: JSON records in, the
    result out; a value outside the contract answers 400 with the field named."""
    port = free_port()
    bin_dir = str(Path(sys.executable).parent)
    env = {
        **os.environ,
        "MLFLOW_TRACKING_URI": mlflow.get_tracking_uri(),
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    log = tmp_path / "serve.log"
    command = [f"{bin_dir}/mlflow", "models", "serve", "-m", model_uri, "--env-manager", "local"]
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*command, "-h", "127.0.0.1", "-p", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # the server's own workers are its process group
        )
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, log.read_text()
            if _pings(port):
                break
            assert time.monotonic() < deadline, f"not ready:\n{log.read_text()}"
            time.sleep(0.2)
        status, body = request(port, "POST", "/invocations", {"dataframe_records": [CASE, SURVEY]})
        assert status == 200, body
        rows = pd.DataFrame(body["predictions"])
        for (_, row), record in zip(rows.iterrows(), (CASE, SURVEY), strict=True):
            assert_same_result(row, expected(record))
        status, body = request(
            port, "POST", "/invocations", {"dataframe_records": [{**CASE, "area": "Rural"}]}
        )
        assert status == 400 and "row 0, area" in body["message"], body
    finally:
        with contextlib.suppress(ProcessLookupError):  # (gone already if it failed to start)
            os.killpg(process.pid, signal.SIGTERM)
        process.wait(30)


def _pings(port: int) -> bool:
    """Whether the scoring server answers ``/ping`` (its body is not JSON)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", "/ping")
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()
