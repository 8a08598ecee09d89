"""The checklist counts exactly its DASH questions; the regression is a real model."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score
from utils.fitted import fitted

from risk.errors import ModelError
from risk.features.specs import FeatureSpec
from risk.features.units import conform_units
from risk.models import baselines
from risk.models.baselines import CHECKLIST_ITEMS, ChecklistBaseline, LogisticBaseline
from risk.models.tiers import tier_codes


def _units(*rows: dict) -> pd.DataFrame:
    return conform_units(pd.DataFrame(list(rows)))


def _yes(condition: baselines.Condition) -> object:
    """A value of the condition's field that answers yes."""
    if condition.test == "in":
        return condition.arg[0]
    return True if condition.test == "is" else condition.arg


def test_checklist_counts_yes_answers_and_missing_as_no():
    units = _units(
        {},
        {"threat_to_kill": True, "strangulation": True, "weapon": "knife"},
        {"threat_to_kill": False, "weapon": "none", "prior_incidents_12m": 5},
        {"threat_to_kill": None, "injury": "serious", "victim_fear": "high"},
        {"unemployed": True, "debt_pressure": True, "gambling": True},  # one question, 22
        {"phq9": 12, "prior_incidents_12m": 2, "physical_violence": True},  # 5 only
        {"phq9": 9, "alcohol_misuse": "occasional", "conflict_frequency": "daily"},
    )
    assert ChecklistBaseline().score(units).tolist() == [0, 3, 1, 2, 1, 1, 0]


@pytest.mark.parametrize(
    ("item", "condition"),
    [(item, c) for item in CHECKLIST_ITEMS for c in item.any_of],
    ids=lambda x: getattr(x, "field", None) or f"q{x.dash}",
)
def test_each_field_answers_its_own_question_only(item, condition):
    answers = ChecklistBaseline().answers(_units({condition.field: _yes(condition)}))
    assert answers.columns[answers.iloc[0].to_numpy()].tolist() == [f"q{item.dash}"]


def test_the_docstring_table_lists_the_questions_scored():
    doc = baselines.__doc__ or ""
    rows = {int(m) for m in re.findall(r"^(\d+)\s{2,}", doc, re.MULTILINE)}
    assert rows == {item.dash for item in CHECKLIST_ITEMS}
    assert all(c.field in doc for item in CHECKLIST_ITEMS for c in item.any_of)


def test_checklist_tiers_follow_dash_cut_offs_scaled():
    every = {c.field: _yes(c) for item in CHECKLIST_ITEMS for c in item.any_of[:1]}
    checklist = ChecklistBaseline()
    assert checklist.cutoffs == (7, 10)  # ⌈10·18/27⌉, ⌈14·18/27⌉
    # the first k questions answered yes, for k = all, 10, 9, 7, 6, 0
    rows = []
    for k in (len(CHECKLIST_ITEMS), 10, 9, 7, 6, 0):
        fields = [item.any_of[0].field for item in CHECKLIST_ITEMS[:k]]
        rows.append({f: every[f] for f in fields})
    units = _units(*rows)
    assert checklist.score(units).tolist() == [len(CHECKLIST_ITEMS), 10, 9, 7, 6, 0]
    assert checklist.tiers(units).tolist() == ["red", "red", "yellow", "yellow", "green", "green"]
    assert ChecklistBaseline(high=3, medium=1).tiers(units).tolist() == ["red"] * 5 + ["green"]


def test_cut_offs_by_share_are_chosen_on_the_training_units():
    # counts 0, 0, 1, 1, 2, 3, 3, 3
    rows = [{}, {}, {"threats": True}, {"pregnancy": True}, {"threats": True, "pregnancy": True}]
    rows += [{"threats": True, "pregnancy": True, "escalating": True}] * 3
    units = _units(*rows)
    checklist = ChecklistBaseline(red_share=0.4, yellow_or_red_share=0.7)
    with pytest.raises(ModelError, match="fit"):
        checklist.tiers(units)
    checklist.fit(units, ["green"] * 8)
    assert checklist.cutoffs == (2, 3)  # at or above 3: 3/8 ≤ 0.4; at or above 1: 6/8 > 0.7
    assert (checklist.tiers(units) == "red").mean() == pytest.approx(3 / 8)
    # a red cut-off by share below DASH's yellow one leaves no yellow tier
    assert ChecklistBaseline(red_share=0.8).fit(units, ["green"] * 8).cutoffs == (1, 1)


def test_checklist_probabilities_are_smoothed_rates_per_count():
    units = _units({}, {}, {}, {"threats": True})
    checklist = ChecklistBaseline().fit(units, ["green", "green", "yellow", "red"])
    prior = np.array([2, 1, 1]) / 4
    p = checklist.predict_proba(_units({}, {"threats": True}, {"threats": True, "pregnancy": True}))
    np.testing.assert_allclose(p[0], (np.array([2, 1, 0]) + prior) / 4)
    np.testing.assert_allclose(p[1], (np.array([0, 0, 1]) + prior) / 2)
    np.testing.assert_allclose(p[2], prior)  # a count never seen in training


def test_checklist_refuses_misuse():
    with pytest.raises(ModelError, match="not fitted"):
        ChecklistBaseline().predict_proba(_units({}))
    with pytest.raises(ModelError, match="labels"):
        ChecklistBaseline().fit(_units({}, {}), ["green"])
    with pytest.raises(ModelError, match="red_share"):
        ChecklistBaseline(red_share=1.5).fit(_units({}), ["green"])
    with pytest.raises(ModelError, match="cut-offs"):
        ChecklistBaseline(high=2, medium=3).tiers(_units({}))


def test_logistic_keeps_three_columns_and_refuses_misuse():
    specs = [
        FeatureSpec("area", "城乡", "area", "nominal", "survey"),
        FeatureSpec("phq9", "PHQ-9", "PHQ-9", "continuous", "survey"),
    ]
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.choice([0.0, 1.0, np.nan], 200), rng.normal(size=200)])
    X[::7, 1] = np.nan
    y = (X[:, 1] > 0.5).astype(int)  # no red unit in training
    p = LogisticBaseline().fit(X, y, specs).predict_proba(X)
    assert p.shape == (200, 3) and (p[:, 2] == 0).all()
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    with pytest.raises(ModelError, match="not fitted"):
        LogisticBaseline().predict_proba(X)
    with pytest.raises(ModelError, match="specs"):
        LogisticBaseline().fit(X, y, specs[:1])
    with pytest.raises(ModelError, match="labels"):
        LogisticBaseline().fit(X, y[:10], specs)


def test_baselines_learn_something_on_a_real_ledger():
    f = fitted()
    train, test = f.splits["train"], f.splits["test"]
    encoder = f.fit.model.encoder
    y_test = tier_codes(test.labels)
    checklist = ChecklistBaseline().fit(train.units, train.labels)
    p = checklist.predict_proba(test.units)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    assert roc_auc_score(y_test >= 1, 1 - p[:, 0]) > 0.65
    logistic = LogisticBaseline().fit(
        encoder.transform(train.units), tier_codes(train.labels), encoder.specs_
    )
    p = logistic.predict_proba(encoder.transform(test.units))
    assert roc_auc_score(y_test >= 1, 1 - p[:, 0]) > 0.7
