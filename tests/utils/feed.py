"""Feeding a synthetic ledger into the service as its users would: survey waves and cases
in date order (each scored on arrival), then the outcomes when they are known."""

from __future__ import annotations

from typing import Any

import pandas as pd

from risk.dataset import Ledger
from service import cases, households
from service.auth import Caller
from service.centre import load_centre
from service.errors import ServiceError

__all__ = ["feed", "feed_outcomes"]


def _record(row: dict[str, Any]) -> dict[str, Any]:
    """A frame row as the contract fields a request sends (missing values left out)."""
    out = {}
    for key, value in row.items():
        if (
            value is None
            or value is pd.NA
            or value is pd.NaT
            or (isinstance(value, float) and value != value)
        ):
            continue
        out[key] = (
            value.date()
            if isinstance(value, pd.Timestamp)
            else value.item()
            if hasattr(value, "item")
            else value
        )
    return out


def feed(
    app: Any, who: Caller, ledger: Ledger, first: pd.Timestamp, last: pd.Timestamp
) -> dict[str, int]:
    """Store and score the ledger's survey waves and cases dated ``first`` to ``last``.

    A wave for a household the service first met through a case (grid not yet known) is
    refused by the service (409) and counted as such, and so is a case of a household no
    wave places in a grid (intake needs one); nothing else is skipped."""
    db, models = app.state.db, app.state.models
    waves = ledger.households[ledger.households["survey_date"].between(first, last)]
    opened = ledger.cases[ledger.cases["opened_at"].between(first, last)]
    events = [(r["survey_date"], 0, r) for r in waves.to_dict("records")]
    events += [(r["opened_at"], 1, r) for r in opened.to_dict("records")]
    counts = {"waves": 0, "cases": 0, "refused": 0}
    # intake names the case's grid (its household's, from the ledger) and says when the
    # service has not met the household yet
    grids = ledger.households.drop_duplicates("household_id", keep="last").set_index(
        "household_id"
    )["grid_id"]
    for _, kind, row in sorted(events, key=lambda e: (e[0], e[1])):
        record = _record(row)
        if kind == 0:
            try:
                households.add_survey(db, models, who, record)
                counts["waves"] += 1
            except ServiceError as exc:
                assert exc.status == 409, exc
                counts["refused"] += 1
        else:
            record.pop("outcome", None)
            record.pop("outcome_at", None)
            grid = grids.get(record["household_id"])
            if grid is None or pd.isna(grid):  # no survey, no grid: intake would refuse it
                counts["refused"] += 1
                continue
            record |= {"new_household": True, "grid_id": grid}
            cases.add_case(db, models, who, record, load_centre())
            counts["cases"] += 1
    return counts


def feed_outcomes(
    app: Any, who: Caller, ledger: Ledger, first: pd.Timestamp, last: pd.Timestamp
) -> int:
    """Record the outcomes of the ledger's cases opened ``first`` to ``last`` that the
    service holds (:func:`feed` refuses the cases of households in no grid); how many."""
    opened = ledger.cases[
        ledger.cases["opened_at"].between(first, last) & ledger.cases["outcome"].notna()
    ]
    recorded = 0
    for row in opened.to_dict("records"):
        try:
            cases.add_outcome(
                app.state.db, who, row["case_id"], row["outcome"], row["outcome_at"].date()
            )
        except ServiceError as exc:
            assert exc.status == 404, exc  # a case feed() refused
            continue
        recorded += 1
    return recorded
