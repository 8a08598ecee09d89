"""A small synthetic ledger on disk and the session's fitted model, for the batch tests."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
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


@pytest.fixture()
def broken_cases(ledger: Path, tmp_path: Path) -> Path:
    """The ledger's cases with three bad rows: file rows 22 and 301 repeat earlier case ids
    (in the same batch of 50 and in an earlier one), row 151 has parties out of range."""
    cases = pd.read_parquet(ledger / "cases.parquet")
    ids = cases["case_id"].astype(object).to_numpy().copy()
    ids[300] = ids[10]  # a duplicate far from its first row, in a later batch
    ids[21] = ids[20]  # a duplicate in the same batch
    cases["case_id"] = ids
    cases["parties"] = cases["parties"].astype("Int64").mask(cases.index == 150, -1)
    path = tmp_path / "cases.parquet"
    cases.to_parquet(path)
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
