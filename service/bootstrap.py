"""The embedded default model: on a machine with no champion, build one to serve.

Generates a synthetic population, trains on it, registers and promotes the model, so
``risk serve`` works on a fresh clone. A real deployment trains on its own ledgers and
promotes through the gate instead.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from risk.progress import Steps
from risk.registry import Registry

__all__ = ["ensure_champion"]

#: Households and years of the default population, and its seed.
DEFAULT_HOUSEHOLDS, DEFAULT_YEARS, DEFAULT_SEED = 30_000, 3, 20261123


def ensure_champion(uri: str | None = None, progress: bool = True) -> str:
    """The champion's version, building and promoting the default model if there is none."""
    registry = Registry(uri)
    champion = registry.champion()
    if champion is not None:
        return str(champion.version)
    from joblib.externals.loky import get_reusable_executor

    from risk.synth import generate_to_dir
    from risk.train import train

    steps = Steps(progress, "serve")
    with tempfile.TemporaryDirectory() as tmp, steps("no champion model: building the default"):
        data = Path(tmp) / "data"
        with steps(f"synthetic population ({DEFAULT_HOUSEHOLDS:,} households)"):
            generate_to_dir(data, DEFAULT_HOUSEHOLDS, DEFAULT_YEARS, DEFAULT_SEED, progress=False)
        outcome = train(data, experiment="risk-triage-default", uri=registry.uri, progress=progress)
        registry.promote(str(outcome.version), force=True, reason="embedded default model")
    # training's joblib workers are not needed by the server: stopped now, not left to
    # the interpreter's exit (where their semaphores are reported as leaked)
    get_reusable_executor().shutdown(wait=True)
    return str(outcome.version)
