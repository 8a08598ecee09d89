"""Ledger history as known on a unit's date: nothing dated on or after it leaks in.

Cases count when opened strictly before the as-of date; outcomes count when recorded
strictly before it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from risk.features.timeline import Timeline, days

__all__ = ["HISTORY_COLUMNS", "add_history", "hard_red_flag", "household_codes"]

HISTORY_COLUMNS = [
    "hist_prior_cases",
    "hist_cases_12m",
    "hist_days_since_case",
    "hist_open_cases",
    "hist_recurred",
    "hist_serious_harm",
    "hist_red_flag_cases",
    "days_since_survey",
]


def household_codes(units: pd.DataFrame, cases: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes of household ids, shared between units and cases."""
    codes, _ = pd.factorize(
        pd.concat([units["household_id"], cases["household_id"]], ignore_index=True)
    )
    return codes[: len(units)], codes[len(units) :]


def hard_red_flag(cases: pd.DataFrame) -> np.ndarray:
    """Cases whose intake shows a hard red flag: threat to kill, knife or firearm,
    strangulation, or serious injury."""
    flag = (
        cases["threat_to_kill"].fillna(False).astype(bool)
        | cases["weapon"].isin(["knife", "firearm"])
        | cases["strangulation"].fillna(False).astype(bool)
        | (cases["injury"] == "serious").fillna(False).astype(bool)
    )
    return np.asarray(flag, dtype=bool)


def add_history(units: pd.DataFrame, cases: pd.DataFrame) -> pd.DataFrame:
    """``units`` with the HISTORY_COLUMNS, computed from ``cases`` as of each unit's date."""
    unit_codes, case_codes = household_codes(units, cases)
    as_of = days(units["as_of"])
    opened = days(cases["opened_at"])
    outcome_at = days(cases["outcome_at"])
    outcome = cases["outcome"]

    opened_tl = Timeline(case_codes, opened)
    closed_tl = Timeline(case_codes, outcome_at)
    recurred_tl = Timeline(
        case_codes, outcome_at, (outcome == "recurred").fillna(False).to_numpy(float)
    )
    serious_tl = Timeline(
        case_codes, outcome_at, (outcome == "serious_harm").fillna(False).to_numpy(float)
    )
    red_flag_tl = Timeline(case_codes, opened, hard_red_flag(cases).astype(float))

    prior = opened_tl.count_before(unit_codes, as_of)
    survey_day = days(units["survey_date"])
    history = {
        "hist_prior_cases": prior,
        "hist_cases_12m": prior - opened_tl.count_before(unit_codes, as_of - 365),
        "hist_days_since_case": as_of - opened_tl.last_before(unit_codes, as_of),
        # opened before the date and no outcome recorded before it
        "hist_open_cases": prior - closed_tl.count_before(unit_codes, as_of),
        "hist_recurred": recurred_tl.count_before(unit_codes, as_of),
        "hist_serious_harm": serious_tl.count_before(unit_codes, as_of),
        "hist_red_flag_cases": red_flag_tl.count_before(unit_codes, as_of),
        "days_since_survey": np.where(survey_day >= 0, as_of - survey_day, np.nan),
    }
    return units.assign(**{name: np.asarray(v, dtype=float) for name, v in history.items()})
