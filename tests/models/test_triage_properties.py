"""Properties of the deployed model over any contract-valid unit (Hypothesis).

Every unit gets one tier; a red flag or a higher answer to a question the policy calls
monotone never lowers it; the reasons add up to the logit the tier came from, and a
reason is never the unit's kind, a missing answer or a "no" raising risk; the review set
is never empty and always holds the tier.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from utils.fitted import fitted
from utils.strategies import present_fields, raised_pair, units

from risk.features.units import conform_units
from risk.models.policy import RedFlag
from risk.models.tiers import TIERS

PROPERTY = settings(max_examples=60, deadline=None)


@pytest.fixture(scope="module")
def model():
    return fitted().fit.model


def _rank(model: Any, unit: dict[str, Any]) -> int:
    return TIERS.index(model.predict_record(unit)["tier"])


@PROPERTY
@given(batch=st.lists(units(), min_size=1, max_size=5))
def test_any_unit_gets_exactly_one_tier_the_same_one_alone_or_in_a_batch(model, batch):
    frame = model.predict_frame(conform_units(pd.DataFrame(batch)))
    assert frame["tier"].notna().all() and set(frame["tier"]) <= set(TIERS)
    for unit, tier in zip(batch, frame["tier"], strict=True):
        result = model.predict_record(unit)
        assert result["tier"] in TIERS and result["tier"] == tier
        assert sum(result["probabilities"].values()) == pytest.approx(1.0)


def _firing_values(flag: RedFlag) -> st.SearchStrategy[Any]:
    if flag.is_ is not None:
        return st.just(flag.is_)
    if flag.in_ is not None:
        return st.sampled_from(flag.in_)
    low = math.ceil(flag.at_least or 0)
    return st.integers(low, low + 10)


@PROPERTY
@given(unit=units(), data=st.data())
def test_adding_a_red_flag_never_lowers_the_tier(model, unit, data):
    flags = [f for f in model.policy.red_flags if f.field in present_fields(unit)]
    if not flags:
        return
    flag = data.draw(st.sampled_from(flags), "flag")
    flagged = {**unit, flag.field: data.draw(_firing_values(flag), "value")}
    assert flag.fires_one(flagged)
    rank = _rank(model, flagged)
    assert rank >= _rank(model, unit) and rank >= flag.rank


@PROPERTY
@given(unit=units(), data=st.data())
def test_a_higher_answer_to_a_monotone_question_never_lowers_the_tier(model, unit, data):
    fields = [f for f in model.policy.monotone if f in present_fields(unit)]
    if not fields:
        return
    field = data.draw(st.sampled_from(fields), "field")
    low, high = data.draw(raised_pair(field), "values")
    assert _rank(model, {**unit, field: high}) >= _rank(model, {**unit, field: low})


@PROPERTY
@given(unit=units())
def test_reasons_add_up_to_the_logit_the_tier_came_from(model, unit):
    result = model.predict_record(unit)
    explained = model.explain_record(unit)[result["reasons_model"]]
    terms = explained["terms"]
    assert result["base"] == explained["base"]
    assert result["base"] + math.fsum(terms.values()) == pytest.approx(result["logit"], abs=1e-9)
    sizes = [r["size"] for r in result["reasons"]]
    assert sizes == [terms[r["code"]] for r in result["reasons"]]
    assert sizes == sorted(sizes, key=abs, reverse=True)
    p = result["probabilities"]
    p_model = p["red"] if result["reasons_model"] == "red" else p["yellow"] + p["red"]
    if result["reasons_model"] == "red" or p["yellow"] > 0:  # P(yellow or red) not raised
        assert 1 / (1 + math.exp(-result["logit"])) == pytest.approx(p_model, rel=1e-9, abs=1e-12)


@PROPERTY
@given(unit=units())
def test_a_reason_is_never_the_kind_a_missing_answer_or_a_raising_no(model, unit):
    result = model.predict_record(unit)
    specs = {s.name: s for s in model.encoder.specs_}
    unseen = {u["field"] for u in result["unseen"]}
    for reason in result["reasons"]:
        names = reason["code"].split(" × ")
        assert not {"has_case", "has_survey"} & set(names)
        assert reason["value_zh"] != "未填" and "未填" not in reason["value_zh"]
        assert not set(names) & unseen
        if reason["direction"] == "raises":
            for name in names:
                no = specs[name].no_value
                if no is not None and len(names) == 1:
                    assert reason["value_en"] != specs[name].value_label(no, "en")


@PROPERTY
@given(unit=units())
def test_the_review_set_is_never_empty_and_holds_the_tier(model, unit):
    result = model.predict_record(unit)
    assert result["tier"] in result["prediction_set"]
    assert result["review_recommended"] == (len(result["prediction_set"]) > 1)
    for u in result["unseen"]:
        assert unit.get(u["field"]) is None  # only what was not recorded
        assert u["tiers"] and set(u["tiers"]) <= set(TIERS)
        assert 0.0 <= u["p_red_low"] <= u["p_red_high"] <= 1.0
