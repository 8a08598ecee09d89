"""The generated frames have the contract's shape, dtypes and value ranges, and are reproducible."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

import risk.synth
from risk.schema import CASE, HOUSEHOLD_SURVEY, RecordKind
from risk.synth import Population, generate


def test_synth_public_api_is_pinned() -> None:
    assert risk.synth.__all__ == ["Population", "generate", "generate_to_dir"]


@pytest.mark.parametrize(("kind", "attribute"), [(HOUSEHOLD_SURVEY, "households"), (CASE, "cases")])
def test_synth_frames_have_contract_columns_and_dtypes(
    population: Population, kind: RecordKind, attribute: str
) -> None:
    frame = getattr(population, attribute)
    assert list(frame.columns) == kind.names
    for f in kind:
        if f.kind == "enum":
            assert isinstance(frame[f.name].dtype, pd.CategoricalDtype), f.name
            assert list(frame[f.name].cat.categories) == list(f.codes), f.name
        else:
            assert frame[f.name].dtype == f.dtype, f.name


@pytest.mark.parametrize(("kind", "attribute"), [(HOUSEHOLD_SURVEY, "households"), (CASE, "cases")])
def test_synth_values_are_within_the_contract(
    population: Population, kind: RecordKind, attribute: str
) -> None:
    frame = getattr(population, attribute)
    start, end = pd.Timestamp(dt.date(2022, 1, 1)), pd.Timestamp(population.end)
    for f in kind:
        column = frame[f.name]
        if f.required:
            assert column.notna().all(), f.name
        present = column.dropna()
        if f.kind == "int":
            assert present.between(f.low, f.high).all(), f.name
        elif f.kind == "string" and f.max_length:
            assert present.str.len().le(f.max_length).all(), f.name
        elif f.kind == "date":
            assert present.between(start, end).all(), f.name


def test_synth_keys_are_unique(population: Population) -> None:
    assert not population.households.duplicated(list(HOUSEHOLD_SURVEY.key)).any()
    assert population.cases["case_id"].is_unique


def test_synth_outcomes_never_precede_their_case(population: Population) -> None:
    cases = population.cases
    assert (
        cases["outcome_at"].dropna() >= cases.loc[cases["outcome_at"].notna(), "opened_at"]
    ).all()
    assert cases["outcome"].isna().equals(cases["outcome_at"].isna())
    complete = cases["opened_at"] + pd.Timedelta(days=90) <= pd.Timestamp(population.end)
    assert cases.loc[complete, "outcome"].notna().all()


def test_synth_households_are_consistent(population: Population) -> None:
    h = population.households
    assert (h["household_size"] >= h["children"] + h["elderly"] + 1).all()
    static = h.groupby("household_id")[["grid_id", "area", "children"]].nunique()
    assert (static == 1).all().all()
    waves = pd.DataFrame({"household": h["household_id"], "year": h["survey_date"].dt.year})
    assert not waves.duplicated().any()  # at most one wave a year (start is 1 January)


def test_synth_case_context_is_coherent(population: Population) -> None:
    c = population.cases
    intimate = c["counterpart"].isin(["spouse", "ex_partner"])
    assert not (c["separation"].fillna(False) & ~intimate).any()
    assert not (c["pregnancy"].fillna(False) & ~intimate).any()
    assert (c.loc[c["dispute_type"] == "neighbour_nuisance", "counterpart"] == "neighbour").all()
    assert (
        c.loc[c["dispute_type"].isin(["marital", "divorce"]), "counterpart"]
        .isin(["spouse", "ex_partner"])
        .all()
    )
    no_violence = c["physical_violence"].eq(False)
    assert c.loc[no_violence, "injury"].dropna().eq("none").all()
    assert not c.loc[no_violence, "strangulation"].fillna(False).any()


def test_synth_same_seed_gives_equal_frames() -> None:
    first, second = generate(2_000, 2, seed=5), generate(2_000, 2, seed=5)
    for name in ("households", "cases", "truth"):
        pd.testing.assert_frame_equal(getattr(first, name), getattr(second, name))
    assert first.end == second.end == dt.date(2024, 1, 1)


def test_synth_different_seed_gives_different_frames() -> None:
    first, second = generate(2_000, 2, seed=5), generate(2_000, 2, seed=6)
    assert not first.households.equals(second.households)
    assert not first.cases.equals(second.cases)


def test_synth_leap_day_start_ends_on_28_february() -> None:
    population = generate(500, 1, seed=1, start=dt.date(2024, 2, 29))
    assert population.end == dt.date(2025, 2, 28)
    assert population.households["survey_date"].between("2024-02-29", "2025-02-28").all()


@pytest.mark.parametrize(("households", "years", "field"), [(0, 1, "households"), (10, 0, "years")])
def test_synth_rejects_empty_populations(households: int, years: int, field: str) -> None:
    with pytest.raises(ValueError, match=field):
        generate(households, years, seed=1)


def test_synth_missingness_differs_between_grids(population: Population) -> None:
    h = population.households
    blank = h["alcohol_misuse"].isna().groupby(h["grid_id"]).mean()
    assert blank.max() > 3 * max(blank.min(), 0.005)
    c = population.cases.merge(h[["household_id", "grid_id"]].drop_duplicates(), on="household_id")
    case_blank = c["threats"].isna().groupby(c["grid_id"]).mean()
    assert case_blank.max() - case_blank.min() > 0.1


def test_synth_sensitive_items_are_left_blank_more_often(population: Population) -> None:
    h = population.households
    ever_violent = h.groupby("household_id")["violence_history"].transform("max").fillna(False)
    blank = h["alcohol_misuse"].isna()
    assert blank[ever_violent.astype(bool)].mean() > 1.5 * blank[~ever_violent.astype(bool)].mean()
    assert h["phq9"].isna().mean() > h["unemployed"].isna().mean()


def test_synth_notes_echo_the_hard_flags(population: Population) -> None:
    c = population.cases
    notes = c["notes"].fillna("")
    kill = notes.str.contains("扬言要")
    assert kill[c["threat_to_kill"].eq(True).fillna(False)].mean() > 0.5
    assert kill[c["threat_to_kill"].eq(False).fillna(False)].mean() < 0.01
    # the notes mention hard flags the fields left blank
    assert (
        kill[c["threat_to_kill"].isna()].mean()
        > kill[c["threat_to_kill"].eq(False).fillna(False)].mean()
    )
    assert notes[c["weapon"] == "knife"].str.contains("刀").mean() > 0.5
    assert c["notes"].isna().mean() < 0.3
    assert np.all(c["notes"].dropna().str.len() > 10)
