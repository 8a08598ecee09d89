"""One decision's thresholds: capacity always holds, targets are sought within it, and a
calibration period with few events falls back to capacity and the minimum P(red)."""

from __future__ import annotations

import numpy as np
import pytest

from risk.models.policy import DecisionPolicy, Targets
from risk.models.thresholds import Scores, choose_thresholds
from risk.models.tiers import policy_ranks

RULE = DecisionPolicy(
    targets=Targets(
        max_red_share=0.15,
        max_yellow_or_red_share=0.70,
        red_recall=0.85,
        max_green_red_rate=0.01,
        yellow_or_red_recall=0.8,
    ),
    min_red_probability=0.0,
    min_events=30,
    review_share=0.1,
)


def _calibrated(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    risky = rng.random(n) < 0.1  # a tenth of units carry most of the risk, as in the ledgers
    p_red = np.where(risky, rng.beta(5, 5, n), rng.beta(1, 300, n))
    p_yr = np.minimum(p_red + rng.beta(1, 4, n), 1.0)
    u = rng.random(n)
    labels = np.where(u < p_red, 2, np.where(u < p_yr, 1, 0))
    return p_red, p_yr, labels


def _none(labels: np.ndarray) -> np.ndarray:
    return np.zeros(labels.size, int)


def test_targets_met_when_achievable_and_figures_match_the_one_rule():
    p_red, p_yr, labels = _calibrated(50_000, 1)
    choice = choose_thresholds(p_red, p_yr, labels, _none(labels), RULE)
    t = choice.thresholds
    ranks = policy_ranks(p_red, p_yr, t.red, t.yellow)
    assert (ranks == 2)[labels == 2].mean() == pytest.approx(choice.red_recall)
    assert (ranks == 2).mean() == pytest.approx(choice.red_share)
    assert (ranks > 0).mean() == pytest.approx(choice.yellow_or_red_share)
    assert choice.red_recall >= 0.85 and choice.red_share <= 0.15
    assert (labels[ranks == 0] == 2).mean() <= 0.01
    assert all(choice.targets_met.values()) and not choice.missed and not choice.notes


def test_red_threshold_is_the_highest_that_meets_recall():
    p_red, p_yr, labels = _calibrated(3_000, 4)  # few enough that every value is a candidate
    choice = choose_thresholds(p_red, p_yr, labels, _none(labels), RULE)
    assert choice.red_recall >= 0.85
    higher = p_red[p_red > choice.thresholds.red].min()
    assert (p_red >= higher)[labels == 2].mean() < 0.85


def test_capacity_always_holds_and_the_shortfall_is_reported():
    p_red, p_yr, labels = _calibrated(20_000, 2)
    tight = RULE.model_copy(
        update={
            "targets": RULE.targets.model_copy(
                update={"max_red_share": 0.01, "max_yellow_or_red_share": 0.2}
            )
        }
    )
    choice = choose_thresholds(p_red, p_yr, labels, _none(labels), tight)
    assert choice.red_share <= 0.01 and choice.yellow_or_red_share <= 0.2
    assert {"red_recall", "yellow_or_red_recall"} <= set(choice.missed)


def test_floors_count_towards_recall_and_share():
    p_red, p_yr, labels = _calibrated(20_000, 3)
    floors = np.where((labels == 2) & (np.arange(labels.size) % 2 == 0), 2, 0)
    with_floors = choose_thresholds(p_red, p_yr, labels, floors, RULE)
    without = choose_thresholds(p_red, p_yr, labels, _none(labels), RULE)
    assert with_floors.thresholds.red >= without.thresholds.red
    red = policy_ranks(p_red, p_yr, with_floors.thresholds.red, 1.0, floors) == 2
    assert red.mean() == pytest.approx(with_floors.red_share)


def test_few_events_capacity_and_the_minimum_probability_place_red_and_say_so():
    rng = np.random.default_rng(5)
    n = 400
    p_red = rng.beta(1, 60, n)  # a small county: a handful of red events
    p_yr = np.minimum(p_red + rng.beta(1, 6, n), 1.0)
    labels = np.where(rng.random(n) < p_red, 2, np.where(rng.random(n) < p_yr, 1, 0))
    assert (labels == 2).sum() < RULE.min_events
    floor_p = RULE.model_copy(update={"min_red_probability": 0.05})
    choice = choose_thresholds(p_red, p_yr, labels, _none(labels), floor_p)
    assert choice.thresholds.red >= 0.05
    assert choice.red_share <= 0.15
    assert (p_red >= choice.thresholds.red).mean() == pytest.approx(choice.red_share)
    zh, en = choice.notes["red"]
    assert "红色事件" in zh and "fewer than 30" in en
    # capacity alone: as many red as capacity and the minimum probability allow
    looser = floor_p.model_copy(update={"min_red_probability": 0.0})
    assert choose_thresholds(p_red, p_yr, labels, _none(labels), looser).red_share == (
        pytest.approx(0.15, abs=1 / n)
    )


def test_capacity_holds_on_the_inflow_it_is_measured_on_not_the_calibration_period():
    """A riskier recent inflow: the shares are the inflow's, and hold there, while the
    calibration period alone would have let more of it be red."""
    p_red, p_yr, labels = _calibrated(20_000, 7)
    q_red, q_yr, _ = _calibrated(5_000, 8)
    q_red, q_yr = np.minimum(q_red * 1.6, 1.0), np.minimum(q_yr * 1.3, 1.0)
    floors = np.zeros(q_red.size, int)
    floors[:100] = 2  # floored units count towards the inflow's red share
    inflow = Scores.of(q_red, q_yr, floors)
    rule = RULE.model_copy(update={"targets": RULE.targets.model_copy(update={"red_recall": 1})})
    alone = choose_thresholds(p_red, p_yr, labels, _none(labels), rule)  # capacity binds
    choice = choose_thresholds(p_red, p_yr, labels, _none(labels), rule, capacity=inflow)
    t = choice.thresholds
    ranks = policy_ranks(q_red, q_yr, t.red, t.yellow, floors)
    assert choice.n_capacity == q_red.size
    assert (ranks == 2).mean() == pytest.approx(choice.red_share) and choice.red_share <= 0.15
    assert (ranks > 0).mean() == pytest.approx(choice.yellow_or_red_share)
    assert choice.yellow_or_red_share <= 0.70
    a = alone.thresholds
    assert (policy_ranks(q_red, q_yr, a.red, a.yellow, floors) == 2).mean() > 0.15
    assert t.red > a.red
