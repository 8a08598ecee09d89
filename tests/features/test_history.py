"""History features count only what was known on the as-of date: no leakage."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import example, given, settings
from hypothesis import strategies as st
from utils.builders import case_row, contract_frame, household_row, random_ledger

from risk.features import FeatureEncoder, build_units
from risk.schema import CASE, HOUSEHOLD_SURVEY


def _features(households: pd.DataFrame, cases: pd.DataFrame) -> pd.DataFrame:
    units = build_units(households, cases)
    matrix = FeatureEncoder().fit(units).transform(units)
    key = (
        units["unit"]
        + ":"
        + units["case_id"].fillna(units["household_id"] + "@" + units["as_of"].astype(str))
    )
    return pd.DataFrame(matrix, index=key.to_numpy()).assign(as_of=units["as_of"].to_numpy())


def _perturb_after(
    households: pd.DataFrame, cases: pd.DataFrame, cutoff: pd.Timestamp, rng: np.random.Generator
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Change, drop and add everything dated after ``cutoff``; keep everything on or before it."""
    cases = cases.copy()
    later_outcome = cases["outcome_at"] > cutoff
    cases.loc[later_outcome, "outcome"] = rng.choice(
        ["resolved", "recurred", "serious_harm"], later_outcome.sum()
    )
    cases.loc[later_outcome, "outcome_at"] += pd.to_timedelta(
        rng.integers(0, 30, later_outcome.sum()), "D"
    )
    later = cases["opened_at"] > cutoff
    cases.loc[later, "threat_to_kill"] = ~cases.loc[later, "threat_to_kill"]
    cases.loc[later, "injury"] = "serious"
    cases = cases[~later | (rng.random(len(cases)) < 0.5)]
    extra = contract_frame(
        [
            case_row(
                case_id="NEW",
                household_id=cases["household_id"].iloc[0],
                opened_at=(cutoff + pd.Timedelta(days=1)).strftime("%Y-%m-%d"),
                outcome="serious_harm",
                outcome_at=(cutoff + pd.Timedelta(days=2)).strftime("%Y-%m-%d"),
            )
        ],
        CASE,
    )
    households = households[households["survey_date"] <= cutoff]
    late_survey = contract_frame(
        [
            household_row(
                household_id="H0",
                phq9=27,
                survey_date=(cutoff + pd.Timedelta(days=3)).strftime("%Y-%m-%d"),
            )
        ],
        HOUSEHOLD_SURVEY,
    )
    return (
        pd.concat([households, late_survey], ignore_index=True),
        pd.concat([cases, extra], ignore_index=True),
    )


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 10_000), cutoff_day=st.integers(30, 330))
@example(seed=1486, cutoff_day=30)  # every survey wave after the cut-off: an empty ledger
def test_nothing_dated_after_the_as_of_date_changes_features(seed: int, cutoff_day: int) -> None:
    households, cases = random_ledger(seed)
    cutoff = pd.Timestamp("2024-01-01") + pd.Timedelta(days=cutoff_day)
    before = _features(households, cases)
    after = _features(*_perturb_after(households, cases, cutoff, np.random.default_rng(seed)))
    known = before[before["as_of"] <= cutoff]
    pd.testing.assert_frame_equal(after.loc[known.index], known)


def test_history_counts_cases_and_outcomes_strictly_before() -> None:
    households = contract_frame(
        [household_row(household_id="H1", survey_date="2024-01-01")], HOUSEHOLD_SURVEY
    )
    cases = contract_frame(
        [
            case_row(
                case_id="A",
                household_id="H1",
                opened_at="2024-02-01",
                outcome="recurred",
                outcome_at="2024-03-01",
                threat_to_kill=True,
            ),
            case_row(
                case_id="B",
                household_id="H1",
                opened_at="2024-03-01",
                outcome="serious_harm",
                outcome_at="2024-03-10",
                threat_to_kill=False,
                weapon="none",
                injury="minor",
                strangulation=False,
            ),
            case_row(
                case_id="C",
                household_id="H1",
                opened_at="2025-03-05",
                outcome=None,
                outcome_at=None,
            ),
        ],
        CASE,
    )
    units = build_units(households, cases).set_index("case_id")
    b, c = units.loc["B"], units.loc["C"]
    # on B's day, A is a prior case, but A's outcome recorded that same day is not yet known
    assert (b["hist_prior_cases"], b["hist_recurred"], b["hist_open_cases"]) == (1, 0, 1)
    assert (b["hist_days_since_case"], b["hist_red_flag_cases"], b["days_since_survey"]) == (
        29,
        1,
        60,
    )
    assert (
        c["hist_prior_cases"],
        c["hist_cases_12m"],
        c["hist_recurred"],
        c["hist_serious_harm"],
    ) == (2, 0, 1, 1)
    assert c["hist_open_cases"] == 0 and c["hist_days_since_case"] == 369


def test_case_unit_joins_the_latest_survey_on_or_before_its_date() -> None:
    households = contract_frame(
        [
            household_row(household_id="H1", survey_date="2024-01-01", phq9=3),
            household_row(household_id="H1", survey_date="2024-03-01", phq9=20),
            household_row(household_id="H1", survey_date="2024-05-01", phq9=27),
        ],
        HOUSEHOLD_SURVEY,
    )
    cases = contract_frame(
        [
            case_row(case_id="A", household_id="H1", opened_at="2024-03-01"),
            case_row(case_id="B", household_id="H2", opened_at="2024-03-01"),
        ],
        CASE,
    )
    units = build_units(households, cases, which="case").set_index("case_id")
    assert units.loc["A", "phq9"] == 20
    assert pd.isna(units.loc["B", "survey_date"]) and pd.isna(units.loc["B", "phq9"])
