"""Metrics by hand on tiny arrays, and subgroups that cannot crash on one class."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from risk.models.metrics import agreement, probability_metrics, subgroup_table, tier_metrics

Y = np.array([0, 0, 1, 2, 2, 0])
TIERS_GIVEN = np.array(["green", "yellow", "yellow", "red", "green", "red"], object)


def test_tier_metrics_by_hand():
    m = tier_metrics(Y, TIERS_GIVEN)
    assert m["red_recall"] == pytest.approx(1 / 2)  # unit 3 caught, unit 4 tiered green
    assert m["red_precision"] == pytest.approx(1 / 2)  # units 3 and 5 tiered red
    assert m["red_share"] == pytest.approx(2 / 6)
    assert m["green_red_rate"] == pytest.approx(1 / 2)  # green: units 0 and 4
    assert m["green_npv"] == pytest.approx(1 / 2)
    assert m["yellow_or_red_recall"] == pytest.approx(2 / 3)
    assert m["mix_green"] + m["mix_yellow"] + m["mix_red"] == pytest.approx(1)


def test_probability_metrics_perfect_and_useless():
    y = np.array([0, 0, 1, 2])
    perfect = np.eye(3)[y]
    m = probability_metrics(y, perfect)
    assert m["auroc_red"] == 1 and m["brier_red"] == 0 and m["ece_red"] == 0
    flat = np.full((4, 3), 1 / 3)
    m = probability_metrics(y, flat)
    assert m["auroc_red"] == 0.5
    assert m["brier_green"] == pytest.approx(((1 / 3 - 1) ** 2 * 2 + (1 / 3) ** 2 * 2) / 4)


def test_agreement_counts_only_recorded_tiers():
    m = agreement(TIERS_GIVEN, pd.Series(["green", None, "yellow", "red", "red", None]))
    assert m["n"] == 4 and m["exact"] == pytest.approx(3 / 4)
    assert math.isnan(agreement(TIERS_GIVEN, pd.Series([None] * 6))["exact"])


def test_subgroups_with_one_class_give_nan_not_a_crash():
    groups = pd.DataFrame({"area": ["urban"] * 3 + ["rural"] * 3})
    proba = np.array([[0.9, 0.05, 0.05]] * 6)
    table = subgroup_table(groups, Y, proba, TIERS_GIVEN)
    urban = table[table["value"] == "urban"].iloc[0]
    assert urban["n"] == 3 and math.isnan(urban["auroc_red"])  # no red among urban units
    rural = table[table["value"] == "rural"].iloc[0]
    assert rural["fnr_red"] == pytest.approx(1 / 2)
    assert rural["observed_expected_red"] == pytest.approx(2 / 0.15)
