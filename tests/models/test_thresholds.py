"""Threshold choice meets the policy's targets on the data it is chosen on."""

from __future__ import annotations

import numpy as np
import pytest

from risk.models.policy import Targets
from risk.models.thresholds import choose_thresholds

TARGETS = Targets(
    red_recall=0.85, max_red_share=0.15, max_green_red_rate=0.01, yellow_or_red_recall=0.8
)


def _calibrated(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    risky = rng.random(n) < 0.1  # a tenth of units carry most of the risk, as in the ledgers
    p_red = np.where(risky, rng.beta(5, 5, n), rng.beta(1, 300, n))
    p_yr = np.minimum(p_red + rng.beta(1, 4, n), 1.0)
    u = rng.random(n)
    labels = np.where(u < p_red, 2, np.where(u < p_yr, 1, 0))
    return p_red, p_yr, labels


def test_targets_met_when_achievable():
    p_red, p_yr, labels = _calibrated(50_000, 1)
    floors = np.zeros(labels.size, int)
    choice = choose_thresholds(p_red, p_yr, labels, floors, TARGETS)
    red = p_red >= choice.thresholds.red
    assert red[labels == 2].mean() == pytest.approx(choice.red_recall)
    assert choice.red_recall >= 0.85
    assert choice.red_share <= 0.15
    green = ~red & (p_yr < choice.thresholds.yellow)
    assert (labels[green] == 2).mean() <= 0.01
    assert all(choice.targets_met.values())


def test_red_threshold_is_the_highest_that_meets_recall():
    p_red, p_yr, labels = _calibrated(3_000, 4)  # few enough that every value is a candidate
    choice = choose_thresholds(p_red, p_yr, labels, np.zeros(labels.size, int), TARGETS)
    assert choice.red_recall >= 0.85
    higher = p_red[p_red > choice.thresholds.red].min()
    assert (p_red >= higher)[labels == 2].mean() < 0.85


def test_capacity_wins_and_the_shortfall_is_reported():
    p_red, p_yr, labels = _calibrated(20_000, 2)
    tight = TARGETS.model_copy(update={"max_red_share": 0.01})
    choice = choose_thresholds(p_red, p_yr, labels, np.zeros(labels.size, int), tight)
    assert choice.red_share <= 0.01
    assert not choice.targets_met["red_recall"]


def test_floors_count_towards_recall_and_share():
    p_red, p_yr, labels = _calibrated(20_000, 3)
    floors = np.where((labels == 2) & (np.arange(labels.size) % 2 == 0), 2, 0)
    with_floors = choose_thresholds(p_red, p_yr, labels, floors, TARGETS)
    without = choose_thresholds(p_red, p_yr, labels, np.zeros(labels.size, int), TARGETS)
    assert with_floors.thresholds.red >= without.thresholds.red
    red = (p_red >= with_floors.thresholds.red) | (floors == 2)
    assert red.mean() == pytest.approx(with_floors.red_share)
