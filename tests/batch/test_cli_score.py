"""``risk score``: the command over a registered model, its help, its exit codes."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import AS_OF
from typer.testing import CliRunner

from risk.batch import OUTPUT_COLUMNS
from risk.cli import app, main


def _args(ledger, out, uri, model, *extra):
    return [
        "score",
        "--households", str(ledger / "households.parquet"),
        "--cases", str(ledger / "cases.parquet"),
        "--out", str(out),
        "--model", model,
        "--tracking-uri", uri,
        "--as-of", AS_OF,
        "--quiet",
        *extra,
    ]  # fmt: skip


def test_score_help_explains_every_option():
    result = CliRunner().invoke(app, ["score", "--help"], env={"COLUMNS": "240"})
    assert result.exit_code == 0
    for option in (
        "--households", "--cases", "--out", "--model", "--as-of", "--engine", "--master",
        "--jobs", "--allow-partial", "--tracking-uri", "--quiet", "--show",
    ):  # fmt: skip
        assert option in result.output, option
    assert "risk-triage@champion" in result.output and "local[*]" in result.output


def test_score_writes_one_row_per_household_with_the_registered_version(
    ledger, registered, tmp_path, capsys
):
    uri, version = registered
    out = tmp_path / "scores.parquet"
    assert main(_args(ledger, out, uri, version, "--jobs", "2")) == 0
    got = pd.read_parquet(out)
    assert list(got.columns) == OUTPUT_COLUMNS
    assert got["household_id"].is_unique and (got["model_version"] == version).all()
    assert f"{len(got):,} households scored as of {AS_OF}" in capsys.readouterr().out


def test_score_refuses_invalid_rows_with_exit_1_and_prints_them(
    ledger, registered, tmp_path, capsys
):
    uri, version = registered
    households = pd.read_parquet(ledger / "households.parquet")
    households["phq9"] = households["phq9"].astype("Int64").mask(households.index == 2, 99)
    data = tmp_path / "data"
    data.mkdir()
    households.to_parquet(data / "households.parquet")
    (data / "cases.parquet").symlink_to(ledger / "cases.parquet")
    out = tmp_path / "scores.parquet"
    assert main(_args(data, out, uri, version, "--jobs", "1")) == 1
    printed = capsys.readouterr().err
    assert "phq9" in printed and "--allow-partial" in printed
    assert not out.exists()
    assert main(_args(data, out, uri, version, "--jobs", "1", "--allow-partial")) == 0
    assert out.exists() and "quarantined: 1 survey rows" in capsys.readouterr().out


@pytest.mark.parametrize("model", ["99", "models:/no-such-model/1"])
def test_score_exits_2_for_a_model_that_is_not_there(ledger, registered, tmp_path, model):
    uri, _ = registered
    assert main(_args(ledger, tmp_path / "o.parquet", uri, model, "--jobs", "1")) == 2
    assert not (tmp_path / "o.parquet").exists()


def test_score_exits_2_for_a_missing_ledger(ledger, registered, tmp_path, capsys):
    uri, version = registered
    args = _args(tmp_path, tmp_path / "o.parquet", uri, version, "--jobs", "1")
    assert main(args) == 2
    assert "no such file" in capsys.readouterr().err


def test_score_refuses_allow_partial_with_spark(ledger, registered, tmp_path, capsys):
    uri, version = registered
    args = _args(ledger, tmp_path / "o.parquet", uri, version, "--engine", "spark")
    assert main([*args, "--allow-partial"]) == 2
    assert "--allow-partial" in capsys.readouterr().err


def test_score_refuses_a_directory_as_the_local_output_and_leaves_it(
    ledger, registered, tmp_path, capsys
):
    uri, version = registered
    out = tmp_path / "scores.parquet"  # say, a Spark run's output directory
    out.mkdir()
    (out / "part-00000.parquet").write_bytes(b"spark's")
    assert main(_args(ledger, out, uri, version, "--jobs", "1")) == 2
    assert "is a directory" in " ".join(capsys.readouterr().err.split())  # rich wraps lines
    assert [p.name for p in out.iterdir()] == ["part-00000.parquet"]
    assert [p.name for p in tmp_path.iterdir()] == ["scores.parquet"]
