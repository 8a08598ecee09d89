"""The deployed model: exact reasons, one unit equals batch, floors reported as flags."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from utils.builders import as_records
from utils.fitted import fitted

from risk.models.tiers import TIERS


@pytest.fixture(scope="module")
def model():
    return fitted().fit.model


@pytest.fixture(scope="module")
def test_units():
    return fitted().splits["test"].units.head(400)


def test_compiled_scorer_equals_interpret(test_units):
    fit = fitted().fit
    X = fit.model.encoder.transform(test_units)
    for ebm, compiled in (
        (fit.classifier.red_, fit.classifier.red_scorer_),
        (fit.classifier.yr_, fit.classifier.yr_scorer_),
    ):
        np.testing.assert_allclose(
            compiled.decision_function(X), ebm.decision_function(X), rtol=0, atol=1e-12
        )
        np.testing.assert_allclose(compiled.contributions(X), ebm.eval_terms(X), rtol=0, atol=1e-12)


def test_reasons_add_up_to_the_model_output(model, test_units):
    frame = model.predict_frame(test_units)
    for record, row in zip(as_records(test_units), frame.itertuples(), strict=True):
        explained = model.explain_record(record)[row.reasons_model]
        total = explained["base"] + sum(explained["terms"].values())
        assert total == pytest.approx(explained["logit"], abs=1e-9)
        assert total == pytest.approx(row.logit, abs=1e-9)
        p = row.p_red if row.reasons_model == "red" else row.p_yellow + row.p_red
        if row.reasons_model == "red" or row.p_yellow > 0:
            assert 1 / (1 + np.exp(-total)) == pytest.approx(p, rel=1e-9, abs=1e-12)


def test_one_unit_equals_batch(model, test_units):
    frame = model.predict_frame(test_units)
    for record, row in zip(as_records(test_units), frame.itertuples(), strict=True):
        one = model.predict_record(record)
        assert one["tier"] == row.tier
        assert one["probabilities"]["red"] == pytest.approx(row.p_red, abs=1e-12)
        assert one["probabilities"]["green"] == pytest.approx(row.p_green, abs=1e-12)
        assert [f["code"] for f in one["flags"]] == [c for c in row.flags.split(";") if c]
        assert one["reasons"][0]["code"] == row.reason_1_code
        assert one["reasons"][0]["size"] == pytest.approx(row.reason_1_size, abs=1e-12)
        assert "|".join(one["prediction_set"]) == row.prediction_set
        assert one["follow_up_date"] == row.follow_up_date.date().isoformat()


def test_floors_raise_the_tier_and_are_flags_not_reasons(model, test_units):
    calm = as_records(test_units)
    for record in calm[:50]:
        base = model.predict_record(record)
        raised = model.predict_record({**record, "strangulation": True})
        assert TIERS.index(raised["tier"]) >= TIERS.index(base["tier"])
        assert raised["tier"] == "red"
        assert "strangulation" in [f["code"] for f in raised["flags"]]
        assert all(r["code"] != "strangulation" or r["size"] for r in raised["reasons"])


def test_result_has_every_part_in_both_languages(model, test_units):
    record = as_records(test_units)[0]
    zh = model.predict_record({**record, "threat_to_kill": True}, lang="zh")
    en = model.predict_record({**record, "threat_to_kill": True}, lang="en")
    assert zh["tier"] == en["tier"] == "red"
    assert zh["flags"][0]["label"] == "扬言杀人" and en["flags"][0]["label"] == "threat to kill"
    assert zh["actions"] != en["actions"] and len(zh["actions"]) == len(en["actions"])
    assert sum(zh["probabilities"].values()) == pytest.approx(1.0)
    assert set(zh["prediction_set"]) <= set(TIERS)
    assert zh["review_recommended"] == (len(zh["prediction_set"]) > 1)
    for reason in zh["reasons"]:
        assert reason["direction"] in ("raises", "lowers") and reason["label"] and reason["value"]


def test_missing_everything_still_gets_one_tier(model):
    result = model.predict_record({})
    assert result["tier"] in TIERS
    frame = model.predict_frame(pd.DataFrame(index=range(3)))
    assert frame["tier"].notna().all()


def test_each_unit_is_scored_for_its_decision(model, test_units):
    frame = model.predict_frame(test_units)
    has_case = test_units["dispute_type"].notna().to_numpy()
    assert (
        frame["decision"].astype(str).to_numpy() == np.where(has_case, "intake", "screening")
    ).all()
    for record, row in zip(as_records(test_units[:40]), frame.head(40).itertuples(), strict=True):
        assert model.predict_record(record)["decision"] == row.decision
    choices = fitted().fit.choices
    for name, choice in choices.items():
        rule = model.policy.decisions[name].targets
        assert choice.red_share <= rule.max_red_share + 1e-9
        assert choice.yellow_or_red_share <= rule.max_yellow_or_red_share + 1e-9
        assert choice.thresholds == model.decisions[name].thresholds


def test_unseen_answers_are_scored_exactly(model, test_units):
    """Each unrecorded answer's tiers and P(red) range equal scoring the unit again with
    every possible answer filled in."""
    specs = {s.name: (i, s) for i, s in enumerate(model.encoder.specs_)}
    checked = 0
    for record in as_records(test_units[test_units["dispute_type"].notna()].head(25)):
        result = model.predict_record(record)
        decision = model.decisions[result["decision"]]
        for unseen in result["unseen"]:
            f, spec = specs[unseen["field"]]
            again = [
                model.predict_record({**record, spec.name: model._raw_value(spec, code)})
                for code in model._answers(decision, f)
            ]
            p_red = [r["probabilities"]["red"] for r in again]
            assert unseen["p_red_low"] == pytest.approx(min(p_red), abs=1e-12)
            assert unseen["p_red_high"] == pytest.approx(max(p_red), abs=1e-12)
            tiers = sorted({r["tier"] for r in again}, key=TIERS.index)
            assert unseen["tiers"] == tiers
            assert unseen["changes_tier"] == (tiers != [result["tier"]])
            checked += 1
    assert checked > 25
