"""One scoring unit per household as of a date: what batch scoring scores.

A household's unit as of date ``D`` holds its latest survey on or before ``D``, its open
case on ``D`` if any (opened on or before ``D`` with no outcome recorded on or before it;
of several, the latest opened), and its ledger history as of ``D``, computed by
:func:`risk.features.history.add_history` as for training units. The history of a unit
with a case leaves that case out: a training case unit, taken as of its opening, never
counts itself, and a unit that did would look one case worse than any the model learnt
from. Every household the ledgers know on ``D`` has a unit (DATA_CONTRACT.md: screening
covers households surveyed or not): one with a survey on or before ``D``, an open case on
it, or a case opened before it; one known only from past cases is screened on its ledger
history alone. A household whose only records are dated after ``D`` has no unit.

This is the one assembly of a household's unit: the local engine's workers and Spark's
(per group of households) both call :func:`household_units`.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from risk.features.history import HISTORY_COLUMNS, add_history
from risk.features.units import CASE_COLUMNS, SURVEY_COLUMNS, conform_units

__all__ = ["as_of_timestamp", "household_units", "is_open", "latest_surveys", "open_cases"]


def as_of_timestamp(as_of: dt.date | str | pd.Timestamp) -> pd.Timestamp:
    """The scoring date as a midnight timestamp (the contract's dates carry no time)."""
    try:
        stamp = pd.Timestamp(as_of)
    except ValueError as exc:
        raise ValueError(f"as_of: not a date: {as_of!r}") from exc
    if stamp is pd.NaT:
        raise ValueError(f"as_of: not a date: {as_of!r}")
    return stamp.normalize()


def latest_surveys(households: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Each household's latest survey wave on or before ``as_of`` (one row per household, in
    order of first appearance)."""
    dates = households["survey_date"].to_numpy("datetime64[ns]")
    keep = np.flatnonzero(dates <= as_of.to_datetime64())
    codes, _ = pd.factorize(households["household_id"].iloc[keep])
    order = np.lexsort((dates[keep], codes))
    ordered = codes[order]
    last = np.append(ordered[1:] != ordered[:-1], True) if len(ordered) else ordered > 0
    return households.iloc[keep[order[last]]]


def is_open(cases: pd.DataFrame, as_of: pd.Timestamp) -> np.ndarray:
    """Which cases are open on ``as_of``: opened on or before it, no outcome recorded on or
    before it."""
    opened = (cases["opened_at"] <= as_of).fillna(False).to_numpy(bool)
    closed = (cases["outcome_at"] <= as_of).fillna(False).to_numpy(bool)
    return opened & ~closed


def open_cases(cases: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Each household's open case on ``as_of`` (:func:`is_open`); of several, the latest
    opened (then the greatest case id)."""
    found = cases[is_open(cases, as_of)]
    ordered = found.sort_values(["household_id", "opened_at", "case_id"], kind="stable")
    return ordered.drop_duplicates("household_id", keep="last")


def household_units(
    households: pd.DataFrame, cases: pd.DataFrame, as_of: dt.date | str | pd.Timestamp
) -> pd.DataFrame:
    """One unit per household as of ``as_of``, with ledger history, in UNIT_COLUMNS order.

    ``households`` holds survey waves, ``cases`` the case ledger (contract frames). Every
    household known on the date gets one unit (see the module's docstring); ``unit`` is
    ``case`` when it has an open case, else ``survey``. Rows are ordered by household id.
    """
    day = as_of_timestamp(as_of)
    surveys = latest_surveys(households, day)
    open_now = open_cases(cases, day)
    survey_ids = pd.Index(surveys["household_id"].to_numpy(dtype=object))
    case_ids = pd.Index(open_now["household_id"].to_numpy(dtype=object))
    past = (cases["opened_at"] < day).fillna(False).to_numpy(bool)
    past_ids = pd.Index(cases["household_id"].to_numpy(dtype=object)[past]).unique()
    ids = survey_ids.append(case_ids[survey_ids.get_indexer(case_ids) < 0])
    ids = ids.append(past_ids[ids.get_indexer(past_ids) < 0])  # known from past cases only
    # each unit's row in ``surveys`` and in ``open_now`` (-1: none)
    survey_row = np.full(len(ids), -1)
    survey_row[: len(surveys)] = np.arange(len(surveys))
    case_row = case_ids.get_indexer(ids)
    columns: dict[str, object] = {"household_id": ids.to_numpy()}
    for name in SURVEY_COLUMNS:
        columns[name] = surveys[name].array.take(survey_row, allow_fill=True)
    for name in ("case_id", *CASE_COLUMNS):
        columns[name] = open_now[name].array.take(case_row, allow_fill=True)
    joined = pd.DataFrame(columns, copy=False)
    joined["unit"] = np.where(case_row >= 0, "case", "survey")
    joined["as_of"] = day
    units = conform_units(joined).drop(columns=HISTORY_COLUMNS)
    if not units["household_id"].is_monotonic_increasing:
        units = units.sort_values("household_id", kind="stable", ignore_index=True)
    own = cases["case_id"].isin(units["case_id"].dropna())
    return add_history(units, cases[~own.to_numpy(dtype=bool)])
