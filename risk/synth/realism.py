"""How believable a generated world is, measured on its own ledger's contract labels.

Within case units (each case as of ``opened_at``, labelled as DATA_CONTRACT.md says): how
well the generator's own truth ranks red (the oracle's AUROC, a ceiling for any model of the
records), and how often each recorded hard red flag is followed by a red 90 days. The
targets, and the real tools they come from, are in docs/synthetic-data.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from risk.features import build_units, extract_date, label_units
from risk.features.conditions import FieldIn
from risk.features.history import HARD_RED_FLAG
from risk.synth import Population

__all__ = ["HARD_FLAG_RED_RATE", "ORACLE_AUROC_RED", "Realism", "hard_flags", "realism"]

#: Target band of the oracle's red AUROC within case units (real tools reach about .67–.80).
ORACLE_AUROC_RED = (0.78, 0.88)
#: Target band of each hard flag's 90-day red rate (serious harm follows well under half).
HARD_FLAG_RED_RATE = (0.10, 0.40)


@dataclass(frozen=True)
class Realism:
    """The figures of one generated world; ``flags`` has one row per hard flag."""

    case_units: int
    case_red_rate: float
    survey_units: int
    survey_red_rate: float
    oracle_auroc_red: float
    flags: pd.DataFrame  # index: flag; columns: units, red, red_rate, true_red_rate


def hard_flags(cases: pd.DataFrame) -> dict[str, np.ndarray]:
    """Each hard red flag of :data:`risk.features.history.HARD_RED_FLAG`, one mask per flag
    (``threat_to_kill``, ``weapon_knife``, ...: a yes/no field by its name, a choice by its
    field and value)."""
    return {
        (c.field if v is True else f"{c.field}_{v}"): FieldIn(c.field, (v,)).mask(cases)
        for c in HARD_RED_FLAG.conditions
        for v in c.values
    }


def realism(population: Population) -> Realism:
    """The realism figures of ``population``, on units whose label the ledger knows."""
    cases = population.cases
    units = build_units(population.households, cases)
    label = label_units(units, cases, extract_date(cases))
    known = label.notna().to_numpy()
    red = (label == "red").to_numpy()
    is_case = (units["unit"] == "case").to_numpy()
    case_units = units.loc[is_case & known, ["case_id"]].assign(red=red[is_case & known])

    truth = population.truth
    oracle = truth.loc[truth["unit"] == "case", ["case_id", "p_red"]]
    scored = case_units.merge(oracle, on="case_id", how="left", validate="one_to_one")
    flagged = cases[["case_id"]].assign(**hard_flags(cases))
    scored = scored.merge(flagged, on="case_id", how="left", validate="one_to_one")

    rows = {
        name: {
            "units": int(scored[name].sum()),
            "red": int(scored.loc[scored[name], "red"].sum()),
            "true_red": float(scored.loc[scored[name], "p_red"].sum()),
        }
        for name in flagged.columns.drop("case_id")
    }
    flags = pd.DataFrame.from_dict(rows, orient="index")
    units_ = flags["units"].where(flags["units"] > 0)
    flags = flags.assign(red_rate=flags["red"] / units_, true_red_rate=flags["true_red"] / units_)
    flags = flags.drop(columns="true_red")
    survey = ~is_case & known
    return Realism(
        case_units=len(scored),
        case_red_rate=float(scored["red"].mean()),
        survey_units=int(survey.sum()),
        survey_red_rate=float(red[survey].mean()),
        oracle_auroc_red=float(roc_auc_score(scored["red"], scored["p_red"])),
        flags=flags,
    )
