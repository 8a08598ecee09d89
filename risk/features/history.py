"""Ledger history as known on a unit's date: nothing dated on or after it leaks in.

Cases count when opened strictly before the as-of date; outcomes count when recorded
strictly before it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from risk.features.timeline import Timeline, days

__all__ = [
    "HISTORY_COLUMNS",
    "add_history",
    "hard_red_flag",
    "history_one",
    "household_codes",
]

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


#: The weapons that make a hard red flag (with a threat to kill, strangulation, serious injury).
HARD_FLAG_WEAPONS = ("knife", "firearm")
_EPOCH = dt.date(1970, 1, 1)


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
        | cases["weapon"].isin(HARD_FLAG_WEAPONS)
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


def _day(value: Any) -> int | None:
    """Days since 1970 of a date or ISO string; None when missing or before 1970."""
    if value is None or value is pd.NaT or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, dt.datetime):
        value = value.date()
    if not isinstance(value, dt.date):
        value = dt.date.fromisoformat(str(value)[:10])
    days_ = (value - _EPOCH).days
    return days_ if days_ >= 0 else None


def _hard_flag(case: Mapping[str, Any]) -> bool:
    return (
        case.get("threat_to_kill") is True
        or case.get("weapon") in HARD_FLAG_WEAPONS
        or case.get("strangulation") is True
        or case.get("injury") == "serious"
    )


def history_one(
    as_of: Any, cases: Iterable[Mapping[str, Any]], survey_date: Any = None
) -> dict[str, float]:
    """One household's HISTORY_COLUMNS from its cases as plain dicts, without pandas.

    The same definitions as :func:`add_history` (a test checks they agree), for scoring
    one unit in the service in microseconds rather than milliseconds.
    """
    day = _day(as_of)
    if day is None:
        raise ValueError(f"as_of: not a date: {as_of!r}")
    prior = year_ago = closed = recurred = serious = red_flag = 0
    last: int | None = None
    for case in cases:
        opened, outcome_at = _day(case.get("opened_at")), _day(case.get("outcome_at"))
        if opened is not None and opened < day:
            prior += 1
            year_ago += opened < day - 365
            last = opened if last is None else max(last, opened)
            red_flag += _hard_flag(case)
        if outcome_at is not None and outcome_at < day:
            closed += 1
            recurred += case.get("outcome") == "recurred"
            serious += case.get("outcome") == "serious_harm"
    surveyed = _day(survey_date)
    return {
        "hist_prior_cases": float(prior),
        "hist_cases_12m": float(prior - year_ago),
        "hist_days_since_case": float("nan") if last is None else float(day - last),
        "hist_open_cases": float(prior - closed),
        "hist_recurred": float(recurred),
        "hist_serious_harm": float(serious),
        "hist_red_flag_cases": float(red_flag),
        "days_since_survey": float("nan") if surveyed is None else float(day - surveyed),
    }
