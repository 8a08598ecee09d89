"""The Spark engine agrees with the local engine: 50,000 households, same tiers and
probabilities. Needs pyspark (the ``spark`` extra) and Java 17+; CI installs both."""

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

from risk.batch import OUTPUT_COLUMNS, score_local
from risk.cli import main
from risk.synth import generate_to_dir

if os.environ.get("CI") is None:  # in CI a missing Spark is a failure, not a skip
    pytest.importorskip("pyspark")
    if shutil.which("java") is None:
        pytest.skip("the Spark engine needs Java 17+", allow_module_level=True)

from risk.batch.spark import score_spark, spark_session

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def spark():
    session = spark_session("local[2]")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def population(tmp_path_factory):
    path = tmp_path_factory.mktemp("population")
    generate_to_dir(path, households=50_000, years=3, seed=23, progress=False)
    return path


def _sorted(path) -> pd.DataFrame:
    return pd.read_parquet(path).sort_values("household_id", ignore_index=True)


def test_spark_and_local_engines_agree_on_50000_households(population, model, spark, tmp_path):
    h, c = population / "households.parquet", population / "cases.parquet"
    local = score_local(h, c, tmp_path / "local.parquet", model, AS_OF, jobs=2)
    remote = score_spark(h, c, tmp_path / "spark.parquet", model, AS_OF, spark=spark)
    a, b = _sorted(local.out), _sorted(remote.out)
    assert local.households_scored == remote.households_scored == len(a) == len(b) > 45_000
    assert list(b.columns) == OUTPUT_COLUMNS
    assert a["household_id"].tolist() == b["household_id"].tolist()
    assert a["tier"].astype(str).tolist() == b["tier"].astype(str).tolist()
    for p in ("p_green", "p_yellow", "p_red"):
        np.testing.assert_allclose(a[p], b[p], rtol=0, atol=1e-12)
    for name in OUTPUT_COLUMNS:
        if not name.startswith("p_"):
            left = a[name].astype(object).where(a[name].notna(), None).astype(str)
            right = b[name].astype(object).where(b[name].notna(), None).astype(str)
            assert left.tolist() == right.tolist(), name
    assert (b["unit"] == "case").sum() > 100  # the open-case join is exercised


def test_spark_output_appears_only_when_complete(population, model, spark, tmp_path):
    out = tmp_path / "scores.parquet"
    out.mkdir()
    (out / "stale.parquet").write_bytes(b"old")
    with pytest.raises(Exception, match=r"missing columns"):
        score_spark(population / "cases.parquet", population / "cases.parquet", out, model,
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
