"""Contract-valid records to start a test from; override what the test is about."""

from __future__ import annotations

from typing import Any

import pandas as pd

from risk.schema import CASE, HOUSEHOLD_SURVEY, RecordKind


def household_row(**overrides: Any) -> dict[str, Any]:
    """One survey wave with every field filled, in English field names and codes."""
    row: dict[str, Any] = {
        "household_id": "H0001",
        "survey_date": "2024-03-05",
        "grid_id": "G01",
        "area": "rural",
        "household_size": 4,
        "children": 2,
        "elderly": 1,
        "left_behind": "children",
        "returned_migrant": True,
        "economic_hardship": "moderate",
        "unemployed": False,
        "debt_pressure": True,
        "alcohol_misuse": "occasional",
        "gambling": False,
        "phq9": 7,
        "gad7": 5,
        "suicidal_ideation": False,
        "severe_mental_illness": False,
        "conflict_frequency": "weekly",
        "violence_history": True,
        "neighbour_relations": "fair",
        "social_support": "weak",
        "caregiver_burden": False,
    }
    row.update(overrides)
    return row


def survey_answers(**overrides: Any) -> dict[str, Any]:
    """The few answers a survey wave needs, without its household and grid (the test
    stores it where it wants: ``conftest.stored_household``)."""
    answers: dict[str, Any] = {
        "survey_date": "2024-03-05",
        "area": "rural",
        "household_size": 4,
        "children": 1,
        "elderly": 0,
    }
    answers.update(overrides)
    return answers


def case_row(**overrides: Any) -> dict[str, Any]:
    """One dispute case with every field filled, in English field names and codes."""
    row: dict[str, Any] = {
        "case_id": "C0001",
        "household_id": "H0001",
        "opened_at": "2024-04-01",
        "source": "grid_worker",
        "dispute_type": "marital",
        "counterpart": "spouse",
        "parties": 2,
        "prior_incidents_12m": 2,
        "mediation_attempts": 1,
        "mediation_status": "ongoing",
        "threats": True,
        "threat_to_kill": False,
        "weapon": "none",
        "physical_violence": True,
        "strangulation": False,
        "injury": "minor",
        "police_called": True,
        "protection_order": False,
        "separation": True,
        "pregnancy": False,
        "child_witness": True,
        "escalating": False,
        "victim_fear": "some",
        "notes": "双方因家务发生争吵，男方酒后推搡女方。",
        "assessed_tier": "yellow",
        "outcome": "recurred",
        "outcome_at": "2024-05-20",
    }
    row.update(overrides)
    return row


def rows_frame(rows: list[dict[str, Any]], first_row: int = 2) -> pd.DataFrame:
    """Rows as a raw frame indexed like a CSV read (header is row 1)."""
    frame = pd.DataFrame(rows)
    frame.index = pd.RangeIndex(first_row, first_row + len(frame), name="row")
    return frame


def builder(kind: RecordKind):
    return {HOUSEHOLD_SURVEY.name: household_row, CASE.name: case_row}[kind.name]


def contract_frame(rows: list[dict[str, Any]], kind: RecordKind) -> pd.DataFrame:
    """Rows (English names and codes) as a contract frame, through ingest so dtypes are exact."""
    from risk.ingest import empty_frame, validate_frame

    if not rows:  # no rows at all: the contract's columns, none filled
        return empty_frame(kind)
    result = validate_frame(rows_frame(rows), kind)
    assert result.rows_quarantined == 0, result.errors.to_string()
    return result.frame


def random_ledger(
    seed: int, households: int = 6, cases: int = 25
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A small random ledger over one year: survey waves and cases with outcomes."""
    import numpy as np

    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2024-01-01")

    def day(offset: int) -> str:
        return (start + pd.Timedelta(days=int(offset))).strftime("%Y-%m-%d")

    surveys = [
        household_row(
            household_id=f"H{h}",
            survey_date=day(rng.integers(0, 360)),
            alcohol_misuse=str(rng.choice(["none", "occasional", "frequent"])),
            phq9=int(rng.integers(0, 28)),
        )
        for h in range(households)
        for _ in range(int(rng.integers(0, 3)))
    ]
    surveys = list({(r["household_id"], r["survey_date"]): r for r in surveys}.values())
    case_rows = []
    for c in range(cases):
        opened = int(rng.integers(0, 360))
        outcome = rng.choice(["resolved", "recurred", "serious_harm", None])
        case_rows.append(
            case_row(
                case_id=f"C{c}",
                household_id=f"H{rng.integers(0, households)}",
                opened_at=day(opened),
                outcome=outcome,
                outcome_at=None if outcome is None else day(opened + rng.integers(0, 90)),
                injury=str(rng.choice(["none", "minor", "serious"])),
                threat_to_kill=bool(rng.random() < 0.2),
                notes=str(rng.choice(["男方酒后持刀", "双方争吵", "未持刀，扬言要杀了她"])),
            )
        )
    return contract_frame(surveys, HOUSEHOLD_SURVEY), contract_frame(case_rows, CASE)


def as_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as plain dicts (None for missing, Python scalars): the one-unit scoring input."""
    return [
        {k: (None if pd.isna(v) else (v.item() if hasattr(v, "item") else v)) for k, v in r.items()}
        for r in frame.to_dict("records")
    ]
