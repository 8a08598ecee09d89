"""``service.load_scores``: a bulk score's stored result is the one-unit result."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from risk.dataset import load_ledger
from risk.models.triage import TriageModel
from risk.registry import Registry
from risk.synth import generate_to_dir
from service.load_scores import chunk_scores, household_chunks

AS_OF = dt.date(2024, 6, 30)


@pytest.fixture(scope="module")
def model(model_store: str) -> TriageModel:
    return Registry(model_store).load("models:/risk-triage@champion")


def _record(row: dict[str, Any]) -> dict[str, Any]:
    return {
        k: v
        for k, v in row.items()
        if not (v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and math.isnan(v)))
    }


def _same(bulk: Any, one: Any) -> None:
    if isinstance(one, dict):
        assert set(bulk) == set(one), (bulk, one)
        for key in one:
            _same(bulk[key], one[key])
    elif isinstance(one, list):
        assert len(bulk) == len(one)
        for b, o in zip(bulk, one, strict=True):
            _same(b, o)
    elif isinstance(one, float):
        assert bulk == pytest.approx(one, rel=1e-9, abs=1e-12)
    else:
        assert bulk == one


def test_a_bulk_result_is_the_one_unit_result_but_for_what_it_leaves_out(
    model: TriageModel, tmp_path: Path
) -> None:
    generate_to_dir(tmp_path, households=600, years=2, seed=3, progress=False)
    ledger = load_ledger(tmp_path)
    compared = {"case": 0, "survey": 0}
    for waves, cases in household_chunks(ledger.households, ledger.cases, 100):
        scored = chunk_scores(model, waves, cases, AS_OF)
        assert scored is not None
        scores, units = scored
        assert len(scores) == len(units) == units["household_id"].nunique()
        for result, row in zip(scores["result"], units.to_dict("records"), strict=True):
            bulk = json.loads(result)
            one = model.predict_record(_record(row), today=AS_OF)
            one.pop("unseen")  # (a bulk score leaves out the answers the model could not see)
            for reason in one["reasons"]:
                if "+" in reason["code"]:  # (a pair's value: named by its label, left empty)
                    reason.update(value="", value_zh="", value_en="")
            _same(bulk, one)
            compared["case" if isinstance(row.get("case_id"), str) else "survey"] += 1
    assert compared["case"] >= 3 and compared["survey"] > 200, compared
