"""Models trained once per test session on synthetic ledgers.

:func:`fitted` with no arguments is the suite's small model; with a ledger's size, seed
and ``quick=False`` it is what ``risk train`` fits on that ledger (the default model
``risk serve`` embeds is one such).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from risk.dataset import Split, time_split, unlabelled
from risk.features import build_units, extract_date, label_units
from risk.models.fit import FitResult, fit_triage
from risk.models.policy import load_policy
from risk.synth import generate

SEED = 11
HOUSEHOLDS = 8_000
YEARS = 3
#: Small, quick EBMs: enough to be a real model, fast enough for the suite.
QUICK = {"outer_bags": 1, "interactions": 3, "max_rounds": 600, "n_jobs": 1}


@dataclass
class Fitted:
    fit: FitResult
    splits: dict[str, Split]


@functools.cache
def fitted(
    households: int = HOUSEHOLDS, seed: int = SEED, years: int = YEARS, quick: bool = True
) -> Fitted:
    """A model fitted on a generated ledger, split by time as ``risk train`` splits it;
    ``quick`` uses the QUICK parameters, otherwise the classifier's defaults."""
    pop = generate(households, years, seed)
    units = build_units(pop.households, pop.cases)
    units["label"] = label_units(units, pop.cases, extract_date(pop.cases))
    splits = time_split(units)
    fit = fit_triage(
        splits["train"].units,
        splits["train"].labels,
        splits["calibration"].units,
        splits["calibration"].labels,
        load_policy(),
        recent=unlabelled(units),
        params=QUICK if quick else None,
    )
    return Fitted(fit, splits)
