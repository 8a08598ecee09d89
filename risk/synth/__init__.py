"""A synthetic population of households and dispute cases whose true label probabilities are known.

:func:`generate` draws households, their yearly survey waves and their dispute cases from a
documented generating process (docs/synthetic-data.md) and computes, for every scoring unit,
the exact probabilities of its green/yellow/red label. :func:`generate_to_dir` writes the
three contract-shaped Parquet files, and optionally a county's messy CSVs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from risk.atomic import atomic_write
from risk.progress import Steps
from risk.synth import params as P
from risk.synth.calendar import Calendar
from risk.synth.cases import (
    assessed_tier,
    case_frame,
    draw_blanks,
    draw_cases,
    serious_injury_recorded_probability,
)
from risk.synth.frames import id_strings
from risk.synth.households import Households, annual_case_rate, build_households, incident_rate
from risk.synth.notes import write_notes
from risk.synth.severity import red_marking_terms
from risk.synth.shift import shifted
from risk.synth.surveys import draw_waves, survey_frame
from risk.synth.truth import Rates, label_probabilities, truth_frame, window_intensities

__all__ = ["Population", "generate", "generate_to_dir"]

DAYS_PER_YEAR = 365.0


@dataclass
class Population:
    """The generated ledgers and the truth: survey waves, cases, true label probabilities."""

    households: pd.DataFrame
    cases: pd.DataFrame
    truth: pd.DataFrame
    end: dt.date


def generate(
    households: int,
    years: int,
    seed: int,
    start: dt.date = dt.date(2022, 1, 1),
    progress: bool = False,
    shift: str | None = None,
) -> Population:
    """Draw ``households`` households over ``years`` years from ``start``; ``shift`` names
    a shifted population (:data:`risk.synth.shift.SHIFTS`).

    The same arguments give the same frames, value for value.
    """
    with shifted(shift):
        return _generate(households, years, seed, start, progress)


def _generate(households: int, years: int, seed: int, start: dt.date, progress: bool) -> Population:
    if households < 1:
        raise ValueError(f"households: must be at least 1, got {households}")
    if years < 1:
        raise ValueError(f"years: must be at least 1, got {years}")
    steps = Steps(progress, "synth")
    rng = np.random.default_rng(seed)
    calendar = Calendar(start, years)
    with steps("households and yearly traits"):
        world = build_households(rng, households, years)
        household_ids = id_strings(P.ID_PREFIX + "H", households)
        grid_ids = id_strings(P.ID_PREFIX + "G", world.grids.count)
    with steps("case rates and red-marking terms"):
        rates, incidents = _rates(world)
    with steps("survey waves"):
        waves = draw_waves(rng, world, calendar)
        surveys = survey_frame(rng, world, waves, calendar, household_ids, grid_ids)
    with steps("dispute cases"):
        draw, state = draw_cases(rng, world, rates.daily, incidents, calendar)
        case_missing = world.grids.case_missing[state.grid]
        blanks = draw_blanks(rng, draw, case_missing)
        tiers = assessed_tier(rng, draw)
        tier_blank = rng.random(len(draw)) < P.TIER_MISSING
    with steps(f"case notes ({len(draw):,})"):
        notes = write_notes(rng, draw, state, blanks, world.grids.notes_missing[state.grid])
        cases = case_frame(draw, blanks, tiers, tier_blank, notes, calendar, household_ids)
    with steps("truth"):
        case_total, case_red, case_complete = window_intensities(
            calendar, rates, draw.household, draw.day
        )
        survey_total, survey_red, survey_complete = window_intensities(
            calendar, rates, waves.household, waves.day
        )
        truth = pd.concat(
            [
                truth_frame(
                    "case",
                    cases["case_id"].array,
                    cases["household_id"].array,
                    cases["opened_at"].to_numpy(),
                    label_probabilities(case_total, case_red, draw.p_resolved, draw.p_serious),
                    case_complete,
                ),
                truth_frame(
                    "survey",
                    None,
                    surveys["household_id"].array,
                    surveys["survey_date"].to_numpy(),
                    label_probabilities(survey_total, survey_red),
                    survey_complete,
                ),
            ],
            ignore_index=True,
        )
    return Population(households=surveys, cases=cases, truth=truth, end=calendar.end)


def _rates(world: Households) -> tuple[Rates, np.ndarray]:
    """Daily case rates, red-marking terms and incident rates per period and household."""
    shape = (world.years, world.count)
    daily, red_a, red_b, incidents = (np.empty(shape) for _ in range(4))
    injury_recorded = serious_injury_recorded_probability(
        world.grids.case_missing[world.static["grid"]]
    )
    for k in range(world.years):
        s = world.in_period(k)
        daily[k] = annual_case_rate(s) / DAYS_PER_YEAR
        incidents[k] = incident_rate(s)
        red_a[k], red_b[k] = red_marking_terms(s, injury_recorded)
    return Rates(daily=daily, red_a=red_a, red_b=red_b), incidents


def generate_to_dir(
    out_dir: Path,
    households: int,
    years: int,
    seed: int,
    messy: bool = False,
    start: dt.date = dt.date(2022, 1, 1),
    progress: bool = True,
    shift: str | None = None,
) -> dict[str, int]:
    """Generate and write households/cases/truth Parquet files (and messy CSVs); rows per file."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    population = generate(households, years, seed, start=start, progress=progress, shift=shift)
    steps = Steps(progress, "synth")
    counts: dict[str, int] = {}
    for name, frame in (
        ("households", population.households),
        ("cases", population.cases),
        ("truth", population.truth),
    ):
        with steps(f"writing {name}.parquet"), atomic_write(out_dir / f"{name}.parquet") as tmp:
            frame.to_parquet(tmp, index=False)
        counts[f"{name}.parquet"] = len(frame)
    if messy:
        from risk.synth.messy import write_messy

        with steps("writing messy CSVs"):
            counts |= write_messy(out_dir, population.households, population.cases, seed)
    return counts
