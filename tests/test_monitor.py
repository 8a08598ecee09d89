"""The monitor's figures: intervals, calibration slope, label-free AUROC, bands and alerts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from risk.dataset import Ledger
from risk.monitor import Bands, calibration_slope, expected_auroc, monitor, wilson
from risk.synth import generate


def test_wilson_interval_holds_the_rate_and_stays_in_zero_one():
    low, high = wilson(5, 100)
    assert 0 < low < 0.05 < high < 0.15
    assert wilson(0, 50)[0] == 0.0 and wilson(50, 50)[1] == pytest.approx(1.0)
    assert all(v != v for v in wilson(0, 0))


def test_calibrated_probabilities_have_slope_one_and_their_auroc_is_foreseen():
    rng = np.random.default_rng(3)
    p = rng.beta(1, 12, 40_000)
    y = (rng.random(p.size) < p).astype(float)
    slope, low, high = calibration_slope(y, p)
    assert low < 1 < high and slope == pytest.approx(1, abs=0.1)
    too_extreme = 1 / (1 + np.exp(-2 * np.log(p / (1 - p))))
    assert calibration_slope(y, too_extreme)[2] < 0.7  # predictions too extreme: slope < 1
    assert expected_auroc(p) == pytest.approx(roc_auc_score(y, p), abs=0.01)


def _served(pop, p_red: np.ndarray) -> pd.DataFrame:
    """The population's cases scored with the given P(red), as the service records them."""
    cases = pop.cases
    return pd.DataFrame(
        {
            "unit": "case",
            "household_id": cases["household_id"].astype(str),
            "case_id": cases["case_id"].astype(str),
            "grid_id": None,
            "as_of": cases["opened_at"],
            "decision": "intake",
            "tier": np.where(p_red > 0.1, "red", "green"),
            "final_tier": np.where(p_red > 0.1, "red", "green"),
            "p_green": 1 - 2 * p_red,
            "p_yellow": p_red,
            "p_red": p_red,
            "model_version": "1",
        }
    )


BANDS = Bands(100, {"intake": {"observed_expected_red": (0.67, 1.5)}})


def test_an_under_predicting_model_raises_the_calibration_alert_only_with_outcomes():
    pop = generate(12_000, 2, 4)
    ledger = Ledger(pop.households, pop.cases, {})
    rate = float((pop.cases["outcome"] == "serious_harm").mean())
    low = np.full(len(pop.cases), rate / 3)  # a third of what happens
    report = monitor(_served(pop, low), ledger, bands=BANDS)
    assert list(report.alerts["figure"].unique()) == ["observed_expected_red"]
    everyone = report.figures.query("month == 'all' and tier == 'all'").iloc[0]
    assert everyone["observed_expected_red_low"] > 1.5
    right = monitor(_served(pop, np.full(len(pop.cases), rate)), ledger, bands=BANDS)
    assert right.alerts.empty
    no_outcomes = pop.cases.assign(outcome=None, outcome_at=pd.NaT)
    unknown = monitor(_served(pop, low), Ledger(pop.households, no_outcomes, {}), bands=BANDS)
    assert unknown.alerts.empty  # nothing known yet: not judged
    assert (unknown.figures["n_outcomes"] == 0).all()
    assert unknown.figures["estimated_red"].notna().all()  # the label-free estimate is there
