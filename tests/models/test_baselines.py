"""The checklist counts exactly its items; the regression is a real, better-than-chance model."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score
from utils.fitted import fitted

from risk.features.units import conform_units
from risk.models.baselines import CHECKLIST_ITEMS, ChecklistBaseline, LogisticBaseline
from risk.models.tiers import tier_codes


def test_checklist_counts_yes_answers_and_missing_as_no():
    units = conform_units(
        pd.DataFrame(
            [
                {},
                {"threat_to_kill": True, "strangulation": True, "weapon": "knife"},
                {"threat_to_kill": False, "weapon": "none", "prior_incidents_12m": 5},
                {"threat_to_kill": None, "injury": "serious", "victim_fear": "high"},
            ]
        )
    )
    assert ChecklistBaseline().score(units).tolist() == [0, 3, 1, 2]


def test_checklist_tiers_follow_the_cut_offs():
    every = {
        "injury": "minor", "victim_fear": "high", "separation": True, "dispute_type": "custody",
        "pregnancy": True, "prior_incidents_12m": 4, "escalating": True, "strangulation": True,
        "threat_to_kill": True, "weapon": "knife", "threats": True, "child_witness": True,
        "police_called": True, "protection_order": True, "alcohol_misuse": "frequent",
        "unemployed": True, "debt_pressure": True, "suicidal_ideation": True,
        "severe_mental_illness": True, "violence_history": True,
    }  # fmt: skip
    units = conform_units(pd.DataFrame([every, {}]))
    checklist = ChecklistBaseline()
    assert checklist.score(units).tolist() == [len(CHECKLIST_ITEMS), 0]
    assert checklist.tiers(units).tolist() == ["red", "green"]


def test_baselines_learn_something_on_a_real_ledger():
    f = fitted()
    train, test = f.splits["train"], f.splits["test"]
    encoder = f.fit.model.encoder
    y_test = tier_codes(test.labels)
    checklist = ChecklistBaseline().fit(train.units, train.labels)
    p = checklist.predict_proba(test.units)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    assert roc_auc_score(y_test >= 1, 1 - p[:, 0]) > 0.6
    logistic = LogisticBaseline().fit(
        encoder.transform(train.units), tier_codes(train.labels), encoder.specs_
    )
    p = logistic.predict_proba(encoder.transform(test.units))
    assert roc_auc_score(y_test >= 1, 1 - p[:, 0]) > 0.7
