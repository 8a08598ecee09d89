"""The label follows DATA_CONTRACT.md: the worst thing in the 90 days after the unit's date."""

from __future__ import annotations

import pandas as pd
import pytest
from utils.builders import case_row, contract_frame, household_row

from risk.features import build_units, extract_date, label_units
from risk.schema import CASE, HOUSEHOLD_SURVEY

SURVEY = contract_frame(
    [household_row(household_id="H1", survey_date="2024-01-01")], HOUSEHOLD_SURVEY
)


def _label(case_rows: list[dict], end: str = "2025-12-31") -> dict[str, str]:
    cases = contract_frame(case_rows, CASE)
    units = build_units(SURVEY, cases)
    labels = label_units(units, cases, pd.Timestamp(end))
    keys = units["case_id"].fillna("survey")
    return {k: (None if pd.isna(v) else v) for k, v in zip(keys, labels, strict=True)}


def _case(case_id: str, opened: str, outcome: str | None = "resolved", **kw: object) -> dict:
    outcome_at = (
        None
        if outcome is None
        else (pd.Timestamp(opened) + pd.Timedelta(days=10)).strftime("%Y-%m-%d")
    )
    return case_row(
        case_id=case_id,
        household_id="H1",
        opened_at=opened,
        outcome=outcome,
        outcome_at=outcome_at,
        injury=kw.pop("injury", "none"),
        **kw,
    )


@pytest.mark.parametrize(
    "outcome,expected", [("resolved", "green"), ("recurred", "yellow"), ("serious_harm", "red")]
)
def test_own_outcome_sets_the_floor_of_the_label(outcome: str, expected: str) -> None:
    assert _label([_case("A", "2024-06-01", outcome)])["A"] == expected


def test_new_case_in_the_window_makes_yellow_and_serious_injury_makes_red() -> None:
    labels = _label(
        [
            _case("A", "2024-06-01"),
            _case("B", "2024-08-30"),
            _case("C", "2024-11-01"),
            _case("D", "2024-12-01", injury="serious"),
        ]
    )
    assert labels["A"] == "yellow"  # B opened 90 days later: inside the window
    assert labels["B"] == "yellow"  # C opened 63 days after B
    assert labels["C"] == "red"  # D shows serious injury at intake, 30 days later
    assert labels["survey"] == "green"  # nothing in the 90 days after 2024-01-01


def test_window_is_exactly_ninety_days_after_the_date() -> None:
    labels = _label([_case("A", "2024-06-01"), _case("B", "2024-08-31"), _case("S", "2024-06-01")])
    assert labels["A"] == "green"  # B is day 91; S opened the same day is not "new"


def test_unlabelled_when_window_not_over_or_outcome_unknown() -> None:
    labels = _label(
        [_case("A", "2024-06-01"), _case("B", "2024-01-10", outcome=None)], end="2024-08-01"
    )
    assert labels["A"] is None and labels["B"] is None
    assert labels["survey"] == "yellow"  # B opened 9 days after the survey


def test_extract_date_is_the_latest_case_day_not_a_later_outcome_or_survey() -> None:
    cases = contract_frame([_case("A", "2024-06-01"), _case("B", "2024-05-01")], CASE)
    cases["outcome_at"] = pd.Timestamp("2024-09-01")
    assert extract_date(cases) == pd.Timestamp("2024-06-01")
    assert extract_date(cases, "2024-07-15") == pd.Timestamp("2024-07-15")


def test_window_past_the_extract_date_is_unlabelled() -> None:
    # A's window (to 2024-05-31) lies before the last case day; B's runs past it.
    cases = contract_frame([_case("A", "2024-03-02"), _case("B", "2024-06-01")], CASE)
    units = build_units(SURVEY, cases)
    labels = label_units(units, cases, extract_date(cases))
    by_case = dict(zip(units["case_id"].astype(object), labels.astype(object), strict=True))
    assert by_case["A"] is not None and pd.notna(by_case["A"])
    assert pd.isna(by_case["B"])
