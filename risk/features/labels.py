"""The label of a scoring unit: the worst thing in the 90 days after its date (DATA_CONTRACT.md).

- red: the unit's own case ended in serious harm, or a new case opened in the window
  ended in serious harm or showed serious injury at intake;
- yellow: otherwise the own case recurred, or any new case was opened in the window;
- green: otherwise.
A unit is unlabelled (NA) when its window is not over by the ledger's end, or when its
own case has no recorded outcome yet.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from risk.features.history import household_codes
from risk.features.timeline import Timeline, days
from risk.schema import TIERS as CONTRACT_TIERS

__all__ = ["HORIZON_DAYS", "TIERS", "label_units", "ledger_end"]

HORIZON_DAYS = 90
TIERS = tuple(c.code for c in CONTRACT_TIERS)


def ledger_end(households: pd.DataFrame, cases: pd.DataFrame) -> pd.Timestamp:
    """The last date the ledger speaks for: its latest survey, case or outcome."""
    dates = [households["survey_date"].max(), cases["opened_at"].max(), cases["outcome_at"].max()]
    return max(pd.Timestamp(d) for d in dates if pd.notna(d))


def label_units(units: pd.DataFrame, cases: pd.DataFrame, end: pd.Timestamp | dt.date) -> pd.Series:
    """Each unit's tier label (category green/yellow/red), NA when not yet known at ``end``."""
    unit_codes, case_codes = household_codes(units, cases)
    as_of = days(units["as_of"])
    opened = days(cases["opened_at"])
    red_marking = (
        (cases["outcome"] == "serious_harm").fillna(False)
        | (cases["injury"] == "serious").fillna(False)
    ).to_numpy(float)
    first, last = as_of + 1, as_of + HORIZON_DAYS
    new_cases = Timeline(case_codes, opened).count_between(unit_codes, first, last)
    new_red = Timeline(case_codes, opened, red_marking).count_between(unit_codes, first, last)

    own = (
        units[["case_id"]]
        .merge(cases[["case_id", "outcome"]], on="case_id", how="left")["outcome"]
        .to_numpy(dtype=object)
    )
    is_case = (units["unit"] == "case").to_numpy()
    own_serious = np.asarray(own == "serious_harm", dtype=bool)
    own_recurred = np.asarray(own == "recurred", dtype=bool)
    own_unknown = is_case & pd.isna(own)

    tier = np.where((new_red > 0) | own_serious, 2, np.where((new_cases > 0) | own_recurred, 1, 0))
    known = (last <= days(pd.Series([pd.Timestamp(end)]))[0]) & ~own_unknown
    labels = pd.Categorical.from_codes(
        np.where(known, tier, -1).astype(np.int8), categories=pd.Index(list(TIERS))
    )
    return pd.Series(labels, index=units.index, name="label")
