"""A small synthetic ledger on disk and the session's fitted model, for the batch tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from utils.fitted import fitted

from risk.models.triage import TriageModel
from risk.synth import generate_to_dir

AS_OF = "2024-06-30"


@pytest.fixture(scope="session")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """3,000 households over 3 years: households.parquet (sorted by household) and cases."""
    path = tmp_path_factory.mktemp("ledger")
    generate_to_dir(path, households=3_000, years=3, seed=5, progress=False)
    return path


@pytest.fixture(scope="session")
def model() -> TriageModel:
    return fitted().fit.model


@pytest.fixture(scope="session")
def registered(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """A model trained quickly and registered in a throwaway store: (tracking URI, version)."""
    from utils.fitted import HOUSEHOLDS, QUICK, SEED, YEARS

    from risk.train import train

    root = tmp_path_factory.mktemp("registry")
    data = root / "data"
    generate_to_dir(data, households=HOUSEHOLDS, years=YEARS, seed=SEED, progress=False)
    (root / "mlruns").mkdir()
    uri = f"sqlite:///{root / 'mlruns' / 'mlflow.db'}"
    outcome = train(data, uri=uri, params=QUICK)
    assert outcome.version is not None
    return uri, outcome.version
