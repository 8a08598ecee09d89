"""The label of a scoring unit: the worst thing in the 90 days after its date (DATA_CONTRACT.md).

- red: the unit's own case ended in serious harm, or a new case opened in the window
  ended in serious harm or showed serious injury at intake;
- yellow: otherwise the own case recurred, or any new case was opened in the window;
- green: otherwise.
A unit is unlabelled (NA) when its window is not over by the ledger's extract date (the
last day it records new cases), or when its own case has no recorded outcome yet. A window
that runs past the extract date would see no new cases and look safer than it is.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from risk.errors import ContractError
from risk.features.history import household_codes
from risk.features.timeline import Timeline, days
from risk.schema import TIERS as CONTRACT_TIERS

__all__ = ["HORIZON_DAYS", "TIERS", "extract_date", "label_units"]

HORIZON_DAYS = 90
TIERS = tuple(c.code for c in CONTRACT_TIERS)


def extract_date(cases: pd.DataFrame, stated: dt.date | str | None = None) -> pd.Timestamp:
    """The last day the ledger records new cases: ``stated`` by its provider, else the
    latest ``opened_at`` (DATA_CONTRACT.md). Outcomes and surveys recorded later do not
    move it: a window past the last case day would see no new cases."""
    if stated is not None:
        return pd.Timestamp(stated).normalize()
    latest = cases["opened_at"].max() if len(cases) else pd.NaT
    if pd.isna(latest):
        raise ContractError("the case ledger is empty: no extract date; give --extract-date")
    return pd.Timestamp(latest).normalize()


def label_units(units: pd.DataFrame, cases: pd.DataFrame, end: pd.Timestamp | dt.date) -> pd.Series:
    """Each unit's tier label (category green/yellow/red), NA when not yet known at ``end``
    (the extract date): the whole window must lie on or before it."""
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
