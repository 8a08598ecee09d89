"""Session fixtures shared across packages: a trained, promoted model in an MLflow store."""

from __future__ import annotations

from pathlib import Path

import pytest
from utils.fitted import HOUSEHOLDS, QUICK, SEED, YEARS

from risk.registry import Registry
from risk.synth import generate_to_dir
from risk.train import train


@pytest.fixture(scope="session")
def served_ledger(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """(MLflow store URI, the ledger directory its champion was trained on)."""
    root = tmp_path_factory.mktemp("served")
    data = root / "data"
    generate_to_dir(data, households=HOUSEHOLDS, years=YEARS, seed=SEED, progress=False)
    (root / "mlruns").mkdir()
    uri = f"sqlite:///{root / 'mlruns' / 'mlflow.db'}"
    outcome = train(data, uri=uri, params=QUICK)
    Registry(uri).promote(str(outcome.version), force=True, reason="test model")
    return uri, data


@pytest.fixture(scope="session")
def model_store(served_ledger: tuple[str, Path]) -> str:
    """An MLflow store holding a trained, promoted risk-triage model."""
    return served_ledger[0]
