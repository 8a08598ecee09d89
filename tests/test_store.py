"""Which MLflow store is used: the one asked for, else one home, never the current folder's."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import risk
from risk.cli import main
from risk.store import APP, Store, _checkout, home, resolve, user_data_dir

ENV = ("RISK_MLFLOW_URI", "MLFLOW_TRACKING_URI", "RISK_HOME")


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_home_is_the_checkout_from_any_folder(clean_env, tmp_path):
    clean_env.chdir(tmp_path)
    assert home() == Path(risk.__file__).resolve().parents[1]
    clean_env.setenv("RISK_HOME", str(tmp_path / "elsewhere"))
    assert home() == tmp_path / "elsewhere"


def test_only_a_checkout_of_this_project_is_a_home(tmp_path):
    package = tmp_path / "risk"
    package.mkdir()
    assert _checkout(package) is None
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "other"\n', "utf-8")
    assert _checkout(package) is None
    (tmp_path / "pyproject.toml").write_text(f'[project]\nname = "{APP}"\n', "utf-8")
    assert _checkout(package) == tmp_path


def test_the_user_data_directory_follows_the_xdg_rules(monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert user_data_dir() == tmp_path / APP
    default = Path.home() / ".local" / "share" / APP
    monkeypatch.setenv("XDG_DATA_HOME", "relative/share")  # invalid: ignored
    assert user_data_dir() == default
    monkeypatch.delenv("XDG_DATA_HOME")
    assert user_data_dir() == default


def test_the_user_data_directory_is_where_platformdirs_puts_it():
    platformdirs = pytest.importorskip("platformdirs")
    assert user_data_dir() == Path(platformdirs.user_data_dir(APP, appauthor=False))


def test_an_argument_then_risk_then_mlflow_variable_then_home_chooses(clean_env, tmp_path):
    clean_env.setenv("RISK_HOME", str(tmp_path))
    default = resolve()
    assert default.uri == f"sqlite:///{tmp_path.as_posix()}/mlruns/mlflow.db"
    assert (tmp_path / "mlruns").is_dir() and default.source == "store_from_risk_home"
    clean_env.setenv("MLFLOW_TRACKING_URI", "sqlite:///mlflow.db")
    assert resolve() == Store("sqlite:///mlflow.db", "store_from_env", "MLFLOW_TRACKING_URI")
    clean_env.setenv("RISK_MLFLOW_URI", "sqlite:///risk.db")
    assert resolve() == Store("sqlite:///risk.db", "store_from_env", "RISK_MLFLOW_URI")
    assert resolve("sqlite:///given.db").uri == "sqlite:///given.db"


def test_an_unusable_home_is_an_error_naming_it(clean_env, tmp_path, capsys):
    (tmp_path / "file").write_text("not a folder", "utf-8")
    clean_env.setenv("RISK_HOME", str(tmp_path / "file"))
    assert main(["promote", "1"]) == 2
    printed = capsys.readouterr().err
    assert "cannot create" in printed and "RISK_HOME" in printed


def _drift_from(folder: Path, data: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.chdir(folder)
    return main(["drift", "--reference", "champion", "--current", str(data)])


def test_a_command_run_from_another_folder_uses_the_home_store(
    served_ledger, clean_env, tmp_path, capsys
):
    uri, data = served_ledger
    clean_env.setenv("RISK_HOME", str(Path(uri.removeprefix("sqlite:///")).parents[1]))
    assert _drift_from(tmp_path, data, clean_env) == 0
    printed = capsys.readouterr()
    assert "verdict" in printed.out  # the champion's ledger was found
    assert f"MLflow store: {uri}" in printed.err and "RISK_HOME" in printed.err
    assert list(tmp_path.iterdir()) == []  # no ./mlruns made


def test_mlflow_tracking_uri_wins_over_the_home(served_ledger, clean_env, tmp_path, capsys):
    uri, data = served_ledger
    clean_env.setenv("RISK_HOME", str(tmp_path / "home"))
    clean_env.setenv("MLFLOW_TRACKING_URI", uri)
    assert _drift_from(tmp_path, data, clean_env) == 0
    assert "MLFLOW_TRACKING_URI" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
