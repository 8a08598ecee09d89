"""Ledger history as known on a unit's date: nothing dated on or after it leaks in.

Each history feature is declared once, in :data:`HISTORY`, and read two ways from that
declaration: vectorised over a units frame (:func:`add_history`: training, both batch
engines) and for one unit from its household's cases as dicts (:func:`history_one`: the
service, in microseconds). A declaration says which dated event of a case it counts
(opened, or outcome recorded), of which cases (a :mod:`condition <risk.features.conditions>`)
and over which window; an event counts when dated strictly before the as-of date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import numpy as np
import pandas as pd

from risk.features.conditions import AnyOf, Condition, FieldIn, is_missing
from risk.features.timeline import Timeline, days

__all__ = [
    "HARD_RED_FLAG",
    "HISTORY",
    "HISTORY_COLUMNS",
    "Age",
    "Count",
    "DaysSince",
    "add_history",
    "hard_red_flag",
    "history_one",
    "household_codes",
]

#: A case's dated events: its opening and the recording of its outcome.
Event = Literal["opened_at", "outcome_at"]

#: A case whose intake shows a hard red flag: a threat to kill, a knife or firearm,
#: strangulation, or serious injury.
HARD_RED_FLAG = AnyOf(
    (
        FieldIn("threat_to_kill", (True,)),
        FieldIn("weapon", ("knife", "firearm")),
        FieldIn("strangulation", (True,)),
        FieldIn("injury", ("serious",)),
    )
)


class _Ledger(Protocol):
    """What a history feature reads: one household's cases relative to one unit's date,
    for many units at once (arrays) or for one (floats)."""

    def count(self, event: Event, where: Condition | None, within: int | None) -> Any: ...

    def days_since(self, event: Event) -> Any: ...

    def age(self, field: str) -> Any: ...


@dataclass(frozen=True)
class Count:
    """How many of the household's cases (those meeting ``where``) have their ``event``
    before the date (and at most ``within_days`` days before it); ``less``: minus those
    whose ``less`` event is before it too."""

    name: str
    event: Event
    where: Condition | None = None
    within_days: int | None = None
    less: Event | None = None

    def value(self, ledger: _Ledger) -> Any:
        n = ledger.count(self.event, self.where, self.within_days)
        if self.less is not None:
            n = n - ledger.count(self.less, self.where, self.within_days)
        return n


@dataclass(frozen=True)
class DaysSince:
    """Days from the household's latest ``event`` before the date (missing when none)."""

    name: str
    event: Event

    def value(self, ledger: _Ledger) -> Any:
        return ledger.days_since(self.event)


@dataclass(frozen=True)
class Age:
    """Days from the unit's own date ``field`` (its survey wave's) to its date."""

    name: str
    field: str

    def value(self, ledger: _Ledger) -> Any:
        return ledger.age(self.field)


#: Every history feature, in column order.
HISTORY: tuple[Count | DaysSince | Age, ...] = (
    Count("hist_prior_cases", "opened_at"),
    Count("hist_cases_12m", "opened_at", within_days=365),
    DaysSince("hist_days_since_case", "opened_at"),
    # opened before the date and no outcome recorded before it
    Count("hist_open_cases", "opened_at", less="outcome_at"),
    Count("hist_recurred", "outcome_at", where=FieldIn("outcome", ("recurred",))),
    Count("hist_serious_harm", "outcome_at", where=FieldIn("outcome", ("serious_harm",))),
    Count("hist_red_flag_cases", "opened_at", where=HARD_RED_FLAG),
    Age("days_since_survey", "survey_date"),
)
HISTORY_COLUMNS = [feature.name for feature in HISTORY]

_EPOCH = dt.date(1970, 1, 1)


def hard_red_flag(cases: pd.DataFrame) -> np.ndarray:
    """Which cases' intake shows a hard red flag (:data:`HARD_RED_FLAG`)."""
    return HARD_RED_FLAG.mask(cases)


def household_codes(units: pd.DataFrame, cases: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes of household ids, shared between units and cases."""
    codes, _ = pd.factorize(
        pd.concat([units["household_id"], cases["household_id"]], ignore_index=True)
    )
    return codes[: len(units)], codes[len(units) :]


def add_history(units: pd.DataFrame, cases: pd.DataFrame) -> pd.DataFrame:
    """``units`` with the HISTORY_COLUMNS, computed from ``cases`` as of each unit's date."""
    ledger = _FrameLedger(units, cases)
    return units.assign(**{f.name: np.asarray(f.value(ledger), dtype=float) for f in HISTORY})


def history_one(
    as_of: Any, cases: Iterable[Mapping[str, Any]], survey_date: Any = None
) -> dict[str, float]:
    """One household's HISTORY_COLUMNS from its cases as plain dicts, without pandas: the
    declarations :func:`add_history` reads, for scoring one unit in the service."""
    day = _day(as_of)
    if day is None:
        raise ValueError(f"as_of: not a date: {as_of!r}")
    ledger = _RecordLedger(day, list(cases), {"survey_date": survey_date})
    return {f.name: float(f.value(ledger)) for f in HISTORY}


class _FrameLedger:
    """The primitives over a units frame: one Timeline per (event, condition), built once."""

    def __init__(self, units: pd.DataFrame, cases: pd.DataFrame) -> None:
        self.units, self.cases = units, cases
        self.unit_codes, self.case_codes = household_codes(units, cases)
        self.as_of = days(units["as_of"])
        self._timelines: dict[tuple[Event, Condition | None], Timeline] = {}

    def _timeline(self, event: Event, where: Condition | None) -> Timeline:
        key = (event, where)
        if key not in self._timelines:
            weights = None if where is None else where.mask(self.cases).astype(float)
            self._timelines[key] = Timeline(self.case_codes, days(self.cases[event]), weights)
        return self._timelines[key]

    def count(self, event: Event, where: Condition | None, within: int | None) -> np.ndarray:
        timeline = self._timeline(event, where)
        n = timeline.count_before(self.unit_codes, self.as_of)
        if within is not None:
            n = n - timeline.count_before(self.unit_codes, self.as_of - within)
        return n

    def days_since(self, event: Event) -> np.ndarray:
        return self.as_of - self._timeline(event, None).last_before(self.unit_codes, self.as_of)

    def age(self, field: str) -> np.ndarray:
        day = days(self.units[field])
        return np.where(day >= 0, self.as_of - day, np.nan)


class _RecordLedger:
    """The primitives for one unit on ``day`` (days since 1970), given its own ``fields``
    and its household's cases."""

    def __init__(self, day: int, cases: list[Mapping[str, Any]], fields: Mapping[str, Any]) -> None:
        self.day, self.cases, self.fields = day, cases, fields
        self._days = {
            event: [_day(case.get(event)) for case in cases]
            for event in ("opened_at", "outcome_at")
        }

    def count(self, event: Event, where: Condition | None, within: int | None) -> float:
        first = -1 if within is None else self.day - within
        return float(
            sum(
                d is not None and first <= d < self.day and (where is None or where.holds(case))
                for case, d in zip(self.cases, self._days[event], strict=True)
            )
        )

    def days_since(self, event: Event) -> float:
        before = [d for d in self._days[event] if d is not None and d < self.day]
        return float(self.day - max(before)) if before else float("nan")

    def age(self, field: str) -> float:
        day = _day(self.fields.get(field))
        return float("nan") if day is None else float(self.day - day)


def _day(value: Any) -> int | None:
    """Days since 1970 of a date or ISO string; None when missing or before 1970 (as
    :func:`risk.features.timeline.days` drops them)."""
    if is_missing(value):
        return None
    if isinstance(value, dt.datetime):
        value = value.date()
    if not isinstance(value, dt.date):
        value = dt.date.fromisoformat(str(value)[:10])
    days_ = (value - _EPOCH).days
    return days_ if days_ >= 0 else None
