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
def registered(served_ledger: tuple[str, Path]) -> tuple[str, str]:
    """The session's registered champion (tests/conftest.py): (tracking URI, version)."""
    from risk.registry import Registry

    uri, _ = served_ledger
    return uri, str(Registry(uri).champion().version)
