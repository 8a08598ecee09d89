"""Shared synthetic populations, generated once per test session."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from risk.synth import Population, generate, generate_to_dir
from risk.synth.realism import Realism, realism

SEED = 20261123
HOUSEHOLDS = 50_000
YEARS = 3
START = dt.date(2022, 1, 1)


@pytest.fixture(scope="session")
def population() -> Population:
    """50k households over three years: large enough for base rates and calibration."""
    return generate(HOUSEHOLDS, YEARS, SEED, start=START)


WRITTEN = {"households": 3_000, "years": 2, "seed": SEED}


@pytest.fixture(scope="session")
def written_population() -> Population:
    """The population :func:`written` writes, generated in memory."""
    return generate(**WRITTEN)


@pytest.fixture(scope="session")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    """A small population written to disk, messy CSVs included."""
    out = tmp_path_factory.mktemp("synth") / "out"
    return out, generate_to_dir(out, **WRITTEN, messy=True, progress=False)


REALISM_HOUSEHOLDS = 200_000


@pytest.fixture(scope="session")
def realistic() -> Realism:
    """The realism figures of a 200k-household world (about 5 s; only the figures are kept)."""
    return realism(generate(REALISM_HOUSEHOLDS, YEARS, SEED, start=START))
