"""One unit per household as of a date: latest survey, open case, history as of the date."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from utils.builders import case_row, contract_frame, household_row, random_ledger

from risk.features import build_units
from risk.features.asof import household_units
from risk.features.units import UNIT_COLUMNS
from risk.schema import CASE, HOUSEHOLD_SURVEY


def _ledger() -> tuple[pd.DataFrame, pd.DataFrame]:
    surveys = contract_frame(
        [
            household_row(household_id="H1", survey_date="2024-01-10", phq9=3),
            household_row(household_id="H1", survey_date="2024-05-01", phq9=9),
            household_row(household_id="H1", survey_date="2024-08-01", phq9=20),
            household_row(household_id="H2", survey_date="2024-09-01"),
            household_row(household_id="H3", survey_date="2024-02-01"),
        ],
        HOUSEHOLD_SURVEY,
    )
    cases = contract_frame(
        [
            # H1: closed on the date → not open; opened earlier, still open → the open case
            case_row(case_id="C1", household_id="H1", opened_at="2024-03-01",
                     outcome="resolved", outcome_at="2024-06-30"),
            case_row(case_id="C2", household_id="H1", opened_at="2024-04-01",
                     outcome="recurred", outcome_at="2024-07-15"),
            case_row(case_id="C3", household_id="H1", opened_at="2024-02-01",
                     outcome=None, outcome_at=None),
            # H4: known only from the case ledger, opened on the date
            case_row(case_id="C4", household_id="H4", opened_at="2024-06-30",
                     outcome=None, outcome_at=None),
            # H2: opened after the date → not open, not in history
            case_row(case_id="C5", household_id="H2", opened_at="2024-07-01",
                     outcome=None, outcome_at=None),
            # H5: known only from a past case, closed before the date → screened on history
            case_row(case_id="C6", household_id="H5", opened_at="2024-01-05", threat_to_kill=True,
                     outcome="recurred", outcome_at="2024-03-01"),
        ],
        CASE,
    )  # fmt: skip
    return surveys, cases


def test_household_units_pick_the_latest_survey_and_the_open_case():
    surveys, cases = _ledger()
    frame = household_units(surveys, cases, "2024-06-30")
    assert list(frame.columns) == UNIT_COLUMNS
    units = frame.set_index("household_id")
    assert list(units.index) == ["H1", "H3", "H4", "H5"]  # H2's records are all after it
    h1 = units.loc["H1"]
    assert h1["survey_date"] == pd.Timestamp("2024-05-01") and h1["phq9"] == 9
    assert h1["unit"] == "case" and h1["case_id"] == "C2"  # C1 closed on the date; C2 latest
    # its history: C1 and C3 (C1's outcome is not before the date), not its own case C2
    assert h1["hist_prior_cases"] == 2 and h1["hist_open_cases"] == 2
    assert h1["days_since_survey"] == 60
    assert units.loc["H3", "unit"] == "survey" and pd.isna(units.loc["H3", "case_id"])
    h4 = units.loc["H4"]
    assert h4["unit"] == "case" and pd.isna(h4["survey_date"]) and h4["hist_prior_cases"] == 0
    h5 = units.loc["H5"]
    assert h5["unit"] == "survey" and pd.isna(h5["survey_date"]) and pd.isna(h5["case_id"])
    assert (h5["hist_prior_cases"], h5["hist_recurred"], h5["hist_red_flag_cases"]) == (1, 1, 1)
    assert (frame["as_of"] == pd.Timestamp("2024-06-30")).all()


def test_household_units_on_a_survey_date_equal_the_training_survey_unit_but_own_case():
    surveys, cases = _ledger()
    training = build_units(surveys, cases, which="survey").set_index(["household_id", "as_of"])
    units = household_units(surveys, cases, "2024-05-01").set_index("household_id")
    want = training.loc[("H1", pd.Timestamp("2024-05-01"))]
    got = units.loc["H1"]
    assert got["unit"] == "case" and got["case_id"] == "C2"  # open on the date
    # the survey unit counts the case open on its date; the unit that carries it does not
    for name in ("hist_prior_cases", "hist_open_cases", "hist_cases_12m"):
        assert got[name] == want[name] - 1, name
    for name in ["hist_recurred", "hist_serious_harm", "days_since_survey", "phq9", "survey_date"]:
        assert got[name] == want[name] or (pd.isna(got[name]) and pd.isna(want[name])), name


def _reference(surveys: pd.DataFrame, cases: pd.DataFrame, day: pd.Timestamp) -> dict:
    """The definitions, one household at a time, in plain Python."""
    out = {}
    ids = set(surveys["household_id"]) | set(cases["household_id"])
    for h in sorted(ids):
        waves = surveys[(surveys["household_id"] == h) & (surveys["survey_date"] <= day)]
        mine = cases[cases["household_id"] == h]
        is_open = (mine["opened_at"] <= day) & ~(mine["outcome_at"] <= day).fillna(False)
        open_ = mine[is_open.astype(bool)].sort_values(["opened_at", "case_id"])
        if waves.empty and open_.empty and not (mine["opened_at"] < day).any():
            continue  # known on the date: a survey, an open case or a past case
        own = open_["case_id"].iloc[-1] if len(open_) else None
        others = mine if own is None else mine[(mine["case_id"] != own).to_numpy(dtype=bool)]
        before = others[others["opened_at"] < day]
        closed = others[(others["outcome_at"] < day).fillna(False).astype(bool)]
        out[h] = {
            "survey_date": waves["survey_date"].max() if len(waves) else pd.NaT,
            "case_id": own,
            "hist_prior_cases": len(before),
            "hist_open_cases": len(before) - len(closed),
            "hist_cases_12m": int((before["opened_at"] >= day - pd.Timedelta(days=365)).sum()),
            "hist_recurred": int((closed["outcome"] == "recurred").sum()),
        }
    return out


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("day", ["2024-02-15", "2024-07-01", "2024-12-31"])
def test_household_units_match_the_definitions_on_random_ledgers(seed, day):
    surveys, cases = random_ledger(seed, households=8, cases=30)
    stamp = pd.Timestamp(day)
    want = _reference(surveys, cases, stamp)
    units = household_units(surveys, cases, day).set_index("household_id")
    assert sorted(units.index) == list(want)
    for h, expected in want.items():
        got = units.loc[h]
        assert got["survey_date"] == expected["survey_date"] or (
            pd.isna(got["survey_date"]) and pd.isna(expected["survey_date"])
        )
        assert (None if pd.isna(got["case_id"]) else got["case_id"]) == expected["case_id"]
        for name in ("hist_prior_cases", "hist_open_cases", "hist_cases_12m", "hist_recurred"):
            assert got[name] == expected[name], (h, name)


def test_household_units_are_the_same_whatever_the_row_order():
    surveys, cases = random_ledger(3, households=10, cases=40)
    shuffled = surveys.sample(frac=1.0, random_state=0)
    a = household_units(surveys, cases, "2024-09-01")
    b = household_units(shuffled, cases.sample(frac=1.0, random_state=1), "2024-09-01")
    pd.testing.assert_frame_equal(a, b)


def test_household_units_refuse_a_date_that_is_not_one():
    surveys, cases = _ledger()
    with pytest.raises(ValueError, match="as_of"):
        household_units(surveys, cases, "not a date")
    assert np.isnan(household_units(surveys, cases, "2024-06-30")["hist_days_since_case"]).any()
