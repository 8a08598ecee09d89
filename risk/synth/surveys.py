"""Survey waves: one a year per surveyed household, recorded with household-dependent blanks."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from risk.schema import HOUSEHOLD_SURVEY
from risk.synth import params as P
from risk.synth.calendar import Calendar
from risk.synth.frames import contract_frame, date_column, enum_column, int_column, recorded_column
from risk.synth.households import FREQUENT, Households, State

#: Survey field → the State attribute holding its true value.
TRAIT_OF_FIELD = {
    "left_behind": "left_behind",
    "returned_migrant": "returned",
    "economic_hardship": "hardship",
    "unemployed": "unemployed",
    "debt_pressure": "debt",
    "alcohol_misuse": "alcohol",
    "gambling": "gambling",
    "phq9": "phq9",
    "gad7": "gad7",
    "suicidal_ideation": "suicidal",
    "severe_mental_illness": "smi",
    "conflict_frequency": "conflict",
    "violence_history": "violence",
    "neighbour_relations": "neighbours",
    "social_support": "support",
    "caregiver_burden": "caregiver",
}
OPTIONAL = [f.name for f in HOUSEHOLD_SURVEY if not f.required]
assert set(OPTIONAL) == set(TRAIT_OF_FIELD), "household_survey: optional fields changed"
SENSITIVE = (
    "alcohol_misuse",
    "gambling",
    "phq9",
    "gad7",
    "suicidal_ideation",
    "severe_mental_illness",
    "violence_history",
)
AREA_RURAL = HOUSEHOLD_SURVEY["area"].codes.index("rural")
AREA_URBAN = HOUSEHOLD_SURVEY["area"].codes.index("urban")


@dataclass(frozen=True)
class Waves:
    """The survey waves taken: which household, in which period, on which day."""

    household: np.ndarray
    period: np.ndarray
    day: np.ndarray

    def __len__(self) -> int:
        return len(self.household)


def draw_waves(rng: np.random.Generator, households: Households, calendar: Calendar) -> Waves:
    """At most one wave per household and period, on a uniform day; some skip, some never."""
    skip = households.grids.skip_wave[households.static["grid"]]
    parts = []
    for k, (first, length) in enumerate(
        zip(calendar.bounds[:-1], np.diff(calendar.bounds), strict=True)
    ):
        taken = households.surveyed & (rng.random(households.count) >= skip)
        who = np.flatnonzero(taken)
        parts.append((who, np.full(len(who), k), first + rng.integers(0, length, len(who))))
    household, period, day = (np.concatenate(p) for p in zip(*parts, strict=True))
    order = np.lexsort((day, household))
    return Waves(household[order], period[order], day[order])


def _blank_probability(s: State, logit_base: np.ndarray, field: str) -> np.ndarray:
    logit = logit_base + P.SURVEY_MISSING_ITEM.get(field, 0.0)
    if field in SENSITIVE:
        logit = logit + (
            P.SURVEY_SENSITIVE_VIOLENCE * s.violence
            + P.SURVEY_SENSITIVE_DRINKING * (s.alcohol == FREQUENT)
        )
    return 1.0 / (1.0 + np.exp(-logit))


def survey_frame(
    rng: np.random.Generator,
    households: Households,
    waves: Waves,
    calendar: Calendar,
    household_ids: pd.api.extensions.ExtensionArray,
    grid_ids: pd.api.extensions.ExtensionArray,
) -> pd.DataFrame:
    """The recorded waves: true values, blank where the household left the item out."""
    s = households.at(waves.household, waves.period)
    logit_base = households.grids.survey_missing_logit[s.grid]
    columns: dict[str, object] = {
        "household_id": household_ids.take(waves.household),
        "survey_date": date_column(calendar.to_datetime(waves.day)),
        "grid_id": grid_ids.take(s.grid),
        "area": enum_column(HOUSEHOLD_SURVEY["area"], np.where(s.rural, AREA_RURAL, AREA_URBAN)),
        "household_size": int_column(s.size),
        "children": int_column(s.children),
        "elderly": int_column(s.elderly),
    }
    for name in OPTIONAL:
        f = HOUSEHOLD_SURVEY[name]
        values = getattr(s, TRAIT_OF_FIELD[name])
        blank = rng.random(len(waves)) < _blank_probability(s, logit_base, name)
        columns[name] = recorded_column(f, values, blank)
    return contract_frame(HOUSEHOLD_SURVEY, columns, len(waves))
