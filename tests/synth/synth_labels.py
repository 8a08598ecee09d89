"""The contract's label read straight from a generated ledger, to check the truth against."""

from __future__ import annotations

import numpy as np
import pandas as pd

GREEN, YELLOW, RED = 0, 1, 2
WINDOW = pd.Timedelta(days=90)


def realised_labels(truth: pd.DataFrame, cases: pd.DataFrame) -> np.ndarray:
    """0/1/2 (green/yellow/red) for every truth row, from the ledger, per DATA_CONTRACT.md."""
    marks_red = (cases["outcome"].eq("serious_harm") | cases["injury"].eq("serious")).fillna(False)
    new = pd.DataFrame(
        {
            "household_id": cases["household_id"],
            "opened_at": cases["opened_at"],
            "marks_red": marks_red.astype(bool),
        }
    )
    units = pd.DataFrame(
        {
            "row": np.arange(len(truth)),
            "household_id": truth["household_id"],
            "as_of": truth["as_of"],
        }
    )
    pairs = units.merge(new, on="household_id")
    opened, as_of = pairs["opened_at"], pairs["as_of"]
    pairs = pairs[(opened > as_of) & (opened <= as_of + WINDOW)]
    label = np.full(len(truth), GREEN)
    label[pairs["row"].to_numpy()] = YELLOW
    own_case = truth[["case_id"]].merge(cases[["case_id", "outcome"]], on="case_id", how="left")
    own = own_case["outcome"]
    label[own.eq("recurred").fillna(False).to_numpy(bool)] = YELLOW
    label[own.eq("serious_harm").fillna(False).to_numpy(bool)] = RED
    label[pairs.loc[pairs["marks_red"], "row"].to_numpy()] = RED
    return label
