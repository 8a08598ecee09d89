"""The Spark engine: the one assembly of units, called per group of households, gives the
units and scores of the local frames and of single records; its output appears only when
complete; the workers fork from the library's daemon. Needs pyspark (the ``spark`` extra)
and Java 17+; CI installs both."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import AS_OF
from utils.builders import as_records

from risk.batch import OUTPUT_COLUMNS, score_local
from risk.cli import main
from risk.features import build_units
from risk.features.asof import household_units
from risk.features.history import HISTORY_COLUMNS
from risk.features.units import (
    CASE_COLUMNS,
    ID_COLUMNS,
    SURVEY_COLUMNS,
    frame_from_arrow,
    unit_record,
)

if os.environ.get("CI") is None:  # in CI a missing Spark is a failure, not a skip
    pytest.importorskip("pyspark")
    if shutil.which("java") is None:
        pytest.skip("the Spark engine needs Java 17+", allow_module_level=True)

from risk.batch.spark import score_spark, spark_session, spark_units

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def spark():
    session = spark_session("local[2]")
    yield session
    session.stop()


def _sorted(path) -> pd.DataFrame:
    return pd.read_parquet(path).sort_values("household_id", ignore_index=True)


def _records(
    units: pd.DataFrame, surveys: pd.DataFrame, cases: pd.DataFrame, *, own_case: bool
) -> list[dict]:
    """Each unit as the service assembles one (unit_record): its survey wave and case as
    dicts, and its household's cases for the history (``own_case``: the unit's own case
    among them, as for a training unit; else left out, as batch units leave it)."""
    waves = {(r["household_id"], r["survey_date"]): r for r in as_records(surveys)}
    by_household: dict[str, list[dict]] = {}
    for case in as_records(cases):
        by_household.setdefault(case["household_id"], []).append(case)
    out = []
    for unit in as_records(units):
        mine = by_household.get(unit["household_id"], [])
        own = [c for c in mine if c["case_id"] == unit["case_id"]]
        fields = [waves[(unit["household_id"], unit["survey_date"])]] if unit["survey_date"] else []
        fields += [{k: c[k] for k in ("case_id", *CASE_COLUMNS)} for c in own]
        history = mine if own_case else [c for c in mine if c["case_id"] != unit["case_id"]]
        out.append(unit_record(unit["as_of"], *fields, cases=history))
    return out


def _same_as_records(model, units: pd.DataFrame, records: list[dict]) -> None:
    for record, want in zip(records, units[HISTORY_COLUMNS].to_dict("records"), strict=True):
        assert {n: record[n] for n in HISTORY_COLUMNS} == pytest.approx(want, nan_ok=True, abs=0)
    np.testing.assert_array_equal(model.encoder.transform_records(records), model.features(units))


def test_frames_records_and_spark_give_the_same_units_and_scores(ledger, model, spark, tmp_path):
    h, c = ledger / "households.parquet", ledger / "cases.parquet"
    surveys, cases = pd.read_parquet(h), pd.read_parquet(c)
    units = household_units(surveys, cases, AS_OF)
    kinds = units["unit"].where(units["survey_date"].notna() | (units["unit"] == "case"), "past")
    assert set(kinds) == {"case", "survey", "past"}  # known only from past cases: screened

    # Spark, three groups of households: the same units, column for column
    table = spark_units(spark, str(h), str(c), AS_OF, groups=3).toArrow()
    got = frame_from_arrow(table, ID_COLUMNS + SURVEY_COLUMNS + CASE_COLUMNS)
    got[HISTORY_COLUMNS] = table.select(HISTORY_COLUMNS).to_pandas()
    got = got.sort_values("household_id", ignore_index=True)
    pd.testing.assert_frame_equal(got, units, check_exact=True)

    # single records, as the service assembles them: the same history and features for
    # these units and for the training units (every case on its opening day, every wave
    # on its survey day), the same tiers and P(red)
    training = build_units(surveys, cases)
    _same_as_records(model, training, _records(training, surveys, cases, own_case=True))
    records = _records(units, surveys, cases, own_case=False)
    _same_as_records(model, units, records)
    frame = model.predict_frame(units)
    sample = np.r_[np.flatnonzero(kinds != "survey"), np.arange(0, len(units), 25)]
    for i in np.unique(sample):
        one = model.predict_record(records[i])
        assert one["tier"] == frame["tier"].iloc[i], units["household_id"].iloc[i]
        assert one["probabilities"]["red"] == pytest.approx(frame["p_red"].iloc[i], abs=1e-12)

    # both engines end to end: the same rows, every column
    local = score_local(h, c, tmp_path / "local.parquet", model, AS_OF, jobs=1, batch_rows=997)
    remote = score_spark(h, c, tmp_path / "spark.parquet", model, AS_OF, spark=spark, groups=3)
    a, b = _sorted(local.out), _sorted(remote.out)
    assert local.households_scored == remote.households_scored == len(a) == len(b) == len(units)
    assert list(b.columns) == OUTPUT_COLUMNS
    assert a["household_id"].tolist() == units["household_id"].tolist()
    assert a["tier"].astype(str).tolist() == frame["tier"].astype(str).tolist()
    for p in ("p_green", "p_yellow", "p_red"):
        np.testing.assert_allclose(a[p], b[p], rtol=0, atol=1e-12)
    for name in OUTPUT_COLUMNS:
        if not name.startswith("p_"):
            left = a[name].astype(object).where(a[name].notna(), None).astype(str)
            right = b[name].astype(object).where(b[name].notna(), None).astype(str)
            assert left.tolist() == right.tolist(), name


def test_spark_output_appears_only_when_complete(ledger, model, spark, tmp_path):
    out = tmp_path / "scores.parquet"
    out.mkdir()
    (out / "stale.parquet").write_bytes(b"old")
    with pytest.raises(Exception, match=r"missing columns"):
        score_spark(ledger / "cases.parquet", ledger / "cases.parquet", out, model,
                    AS_OF, spark=spark)  # fmt: skip
    assert (out / "stale.parquet").exists()  # the failed run left the old output alone
    assert [p.name for p in tmp_path.iterdir()] == ["scores.parquet"]


def test_risk_score_runs_the_spark_engine(ledger, registered, spark, tmp_path):
    uri, version = registered
    out = tmp_path / "scores.parquet"
    args = [
        "score", "--engine", "spark", "--master", "local[2]",
        "--households", str(ledger / "households.parquet"),
        "--cases", str(ledger / "cases.parquet"),
        "--out", str(out), "--model", version, "--tracking-uri", uri, "--as-of", AS_OF,
    ]  # fmt: skip
    assert main(args) == 0
    got = pd.read_parquet(out)
    assert got["household_id"].is_unique and (got["model_version"] == version).all()


def test_risk_score_records_the_driver_archive_once_and_then_maps_it(ledger, registered, tmp_path):
    uri, version = registered
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    risk = str(Path(sys.executable).with_name("risk"))

    def score(out: Path, recording: bool) -> pd.DataFrame:
        args = [
            risk, "score", "--engine", "spark", "--master", "local[2]", "--quiet",
            "--households", str(ledger / "households.parquet"),
            "--cases", str(ledger / "cases.parquet"),
            "--out", str(out), "--model", version, "--tracking-uri", uri, "--as-of", AS_OF,
        ]  # fmt: skip
        done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr[-2000:]
        assert "households scored" in done.stdout and "cds" not in done.stdout
        assert ("class-data archive" in done.stderr) is recording  # the user is told why
        return _sorted(out)

    first = score(tmp_path / "first.parquet", recording=True)
    archives = list((tmp_path / "cache" / "risk").iterdir())
    assert [p.suffix for p in archives] == [".jsa"] and archives[0].stat().st_size > 1_000_000
    recorded = archives[0].stat().st_mtime_ns
    second = score(tmp_path / "second.parquet", recording=False)
    assert list((tmp_path / "cache" / "risk").iterdir()) == archives  # mapped, not recorded
    assert archives[0].stat().st_mtime_ns == recorded
    pd.testing.assert_frame_equal(first, second)


def test_python_workers_fork_from_the_daemon_that_imported_the_library(spark):
    def origin(batches):  # defined here, so that it is pickled by value for the workers
        import sys

        import pyarrow as pa

        for _ in batches:
            main = sys.modules["__main__"].__spec__
            name = main.name if main is not None else "?"
            yield pa.record_batch([pa.array([name])], names=["origin"])

    origins = spark.range(2, numPartitions=2).mapInArrow(origin, "origin string")
    assert {row.origin for row in origins.collect()} == {"risk.batch.daemon"}
