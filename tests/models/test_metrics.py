"""Metrics by hand on tiny arrays, NaN (not an error) where a figure is undefined."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest

from risk.errors import ModelError
from risk.models.metrics import agreement, probability_metrics, tier_metrics

Y = np.array([0, 0, 1, 2, 2, 0])
TIERS_GIVEN = np.array(["green", "yellow", "yellow", "red", "green", "red"], object)
#: MLflow accepts only these characters in a metric name.
MLFLOW_NAME = re.compile(r"^[A-Za-z0-9_./ -]+$")


def test_tier_metrics_by_hand():
    m = tier_metrics(Y, TIERS_GIVEN)
    assert m["red_recall"] == pytest.approx(1 / 2)  # unit 3 caught, unit 4 tiered green
    assert m["red_precision"] == pytest.approx(1 / 2)  # units 3 and 5 tiered red
    assert m["red_share"] == pytest.approx(2 / 6)
    assert m["green_red_rate"] == pytest.approx(1 / 2)  # green: units 0 and 4
    assert m["green_npv"] == pytest.approx(1 / 2)
    assert m["yellow_or_red_recall"] == pytest.approx(2 / 3)  # units 2 and 3 of 2, 3, 4
    assert (m["mix_green"], m["mix_yellow"], m["mix_red"]) == pytest.approx((2 / 6, 2 / 6, 2 / 6))


def test_tier_metrics_without_red_units_are_nan_not_errors():
    m = tier_metrics(np.zeros(3, int), ["green", "green", "yellow"])
    assert math.isnan(m["red_recall"]) and math.isnan(m["red_precision"])
    assert m["green_npv"] == 1 and m["red_share"] == 0


def test_probability_metrics_perfect_and_useless():
    y = np.array([0, 0, 1, 2])
    m = probability_metrics(y, np.eye(3)[y])
    assert m["auroc_red"] == 1 and m["brier_red"] == 0 and m["ece_red"] == 0
    assert m["pr_auc_yellow_or_red"] == 1
    m = probability_metrics(y, np.full((4, 3), 1 / 3))
    assert m["auroc_red"] == 0.5
    assert m["brier_green"] == pytest.approx(((1 / 3 - 1) ** 2 * 2 + (1 / 3) ** 2 * 2) / 4)
    assert m["ece_red"] == pytest.approx(abs(1 / 4 - 1 / 3))  # one bin: rate 1/4, mean 1/3


def test_probability_metrics_by_hand():
    y = np.array([0, 1, 2, 2])
    proba = np.array([[0.7, 0.2, 0.1], [0.5, 0.3, 0.2], [0.3, 0.3, 0.4], [0.6, 0.2, 0.2]])
    m = probability_metrics(y, proba)
    # red 0.4, 0.2 against not red 0.1, 0.2: of 4 pairs 3 won and 1 tied → 3.5/4
    assert m["auroc_red"] == pytest.approx(3.5 / 4)
    # yellow-or-red uses 1 − p_green = 0.3, 0.5, 0.7, 0.4 with positives 0.5, 0.7, 0.4
    assert m["auroc_yellow_or_red"] == 1
    # ranked 0.4 (red), then the two 0.2 tied (one red): precision 1 at recall 1/2, 2/3 at 1
    assert m["pr_auc_red"] == pytest.approx(0.5 * 1 + 0.5 * 2 / 3)
    assert m["brier_red"] == pytest.approx((0.01 + 0.04 + 0.36 + 0.64) / 4)


def test_metric_names_are_valid_mlflow_names():
    names = [*probability_metrics(Y, np.full((6, 3), 1 / 3)), *tier_metrics(Y, TIERS_GIVEN)]
    names += list(agreement(TIERS_GIVEN, TIERS_GIVEN))
    assert all(MLFLOW_NAME.match(name) for name in names)


def test_agreement_counts_only_recorded_tiers():
    assessed = pd.Series(["green", None, "yellow", "red", "red", np.nan], dtype=object)
    m = agreement(TIERS_GIVEN, assessed)
    assert m["n"] == 4 and m["exact"] == pytest.approx(3 / 4)
    # ours 0, 1, 2, 0 vs theirs 0, 1, 2, 2: the quadratic kappa by hand
    ours, theirs = np.array([0, 1, 2, 0]), np.array([0, 1, 2, 2])
    w = (np.subtract.outer(range(3), range(3)) ** 2) / 4
    observed = np.zeros((3, 3))
    np.add.at(observed, (ours, theirs), 1 / 4)
    expected = np.outer(np.bincount(ours, minlength=3), np.bincount(theirs, minlength=3)) / 16
    kappa = 1 - (w * observed).sum() / (w * expected).sum()
    assert m["kappa_quadratic"] == pytest.approx(kappa)
    assert math.isnan(agreement(TIERS_GIVEN, pd.Series([None] * 6))["exact"])


def test_agreement_on_one_tier_is_nan_kappa_without_a_warning():
    m = agreement(["red", "red"], pd.Series(["red", "red"], dtype="string"))
    assert m["exact"] == 1 and math.isnan(m["kappa_quadratic"])


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: probability_metrics(Y, np.ones((6, 2))), "proba"),
        (lambda: probability_metrics(Y, np.full((6, 3), np.nan)), "proba"),
        (lambda: probability_metrics([0, 3], np.ones((2, 3))), "labels"),
        (lambda: tier_metrics(Y, TIERS_GIVEN[:3]), "tiers"),
        (lambda: tier_metrics(Y, ["green", "amber", "red", "red", "red", "red"]), "amber"),
        (lambda: agreement(TIERS_GIVEN, ["red"]), "assessed"),
    ],
)
def test_bad_input_names_the_argument(call, match):
    with pytest.raises(ModelError, match=match):
        call()
