"""The gate's paired comparison: how much worse a candidate is, with an interval that says
whether the held-out units can tell."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from risk.compare import shortfalls
from risk.evaluate import fairness_gaps
from risk.fairness import audit
from risk.models.metrics import probability_metrics, tier_metrics
from risk.registry import GATE, gate

RULES = {k: v for k, v in GATE.items() if k.startswith("test_intake_")}


def _held_out(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, pd.DataFrame, np.ndarray]:
    """Intake units with a true P(red), their labels (green or red), area and grid group."""
    rng = np.random.default_rng(seed)
    logit = rng.normal(-3.0, 1.2, n)
    p_red = 1 / (1 + np.exp(-logit))
    y = np.where(rng.random(n) < p_red, "red", "green")
    groups = pd.DataFrame(
        {
            "area": rng.choice(["rural", "urban"], n, p=[0.7, 0.3]),
            "grid_group": rng.choice(["Q1", "Q2", "Q3", "Q4"], n),
        }
    )
    return y, np.full(n, "intake"), groups, logit


def _model(logit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    p = 1 / (1 + np.exp(-logit))
    proba = np.column_stack([1 - p, np.zeros_like(p), p])
    tiers = np.select([p > 0.15, p > 0.03], ["red", "yellow"], "green")
    return proba, tiers


def _compare(y, decisions, groups, candidate, champion, n_boot=100):
    table = audit(groups, y, champion[0], champion[1], n_boot=1, minimums=(500, 20))
    table.insert(0, "decision", "intake")
    return shortfalls(RULES, y, decisions, groups, table, candidate, champion, n_boot=n_boot)


def test_the_same_model_falls_short_by_nothing_in_every_replicate():
    y, decisions, groups, logit = _held_out(3000, 0)
    model = _model(logit)
    out = _compare(y, decisions, groups, model, model, n_boot=30)
    assert set(out) == set(RULES)
    for metric, s in out.items():
        assert (s.point, s.low, s.high) == (0.0, 0.0, 0.0), metric


def test_point_figures_are_the_ones_evaluation_logs():
    y, decisions, groups, logit = _held_out(3000, 1)
    rng = np.random.default_rng(101)
    candidate, champion = _model(logit + rng.normal(0, 1.0, logit.size)), _model(logit)
    out = _compare(y, decisions, groups, candidate, champion, n_boot=0)
    new, old = probability_metrics(y, candidate[0]), probability_metrics(y, champion[0])
    assert out["test_intake_auroc_red"].point == pytest.approx(old["auroc_red"] - new["auroc_red"])
    recall = "test_intake_tier_red_recall"
    assert out[recall].point == pytest.approx(
        tier_metrics(y, champion[1])["red_recall"] - tier_metrics(y, candidate[1])["red_recall"]
    )
    citl = "test_intake_citl_red"
    assert out[citl].point == pytest.approx(abs(new["citl_red"]) - abs(old["citl_red"]))
    gaps = {}
    for name, (proba, tiers) in (("new", candidate), ("old", champion)):
        table = audit(groups, y, proba, tiers, n_boot=1, minimums=(500, 20))
        gaps[name] = fairness_gaps(table)["worst_gap_auroc_red"]
    worst = "test_intake_fairness_worst_gap_auroc_red"
    assert out[worst].point == pytest.approx(gaps["new"] - gaps["old"])
    assert np.isnan(out[worst].low)  # no replicates, no interval


def test_a_clearly_worse_candidate_is_refused_and_noise_is_not():
    # a candidate that ranks by a much noisier logit: worse on any draw of 8,000 units
    y, decisions, groups, logit = _held_out(8000, 2)
    rng = np.random.default_rng(102)  # not the labels' seed: other draws than theirs
    champion, worse = _model(logit), _model(logit + rng.normal(0, 2.0, logit.size))
    out = _compare(y, decisions, groups, worse, champion)
    auroc = out["test_intake_auroc_red"]
    assert auroc.point > 0.05 and auroc.low > 0
    old, new = (
        {f"test_intake_{k}": v for k, v in probability_metrics(y, m[0]).items()}
        for m in (champion, worse)
    )
    result = gate(new, old, {"test_intake_auroc_red": RULES["test_intake_auroc_red"]}, out)
    assert not result.passed and "worse by" in result.summary()

    # on 400 units (a dozen red), a slightly perturbed model's AUROC moves by more than the
    # tolerance either way: the interval reaches zero, and the gate says so, not "NO"
    y, decisions, groups, logit = _held_out(400, 3)
    for seed in range(20):
        noisy = _model(logit + np.random.default_rng(100 + seed).normal(0, 0.4, logit.size))
        out = _compare(y, decisions, groups, noisy, _model(logit))
        if out["test_intake_auroc_red"].point > RULES["test_intake_auroc_red"][1]:
            break
    s = out["test_intake_auroc_red"]
    assert s.point > RULES["test_intake_auroc_red"][1] and s.low <= 0 < s.high
    new = {"test_intake_auroc_red": 0.80 - s.point}
    only = {"test_intake_auroc_red": RULES["test_intake_auroc_red"]}
    result = gate(new, {"test_intake_auroc_red": 0.80}, only, out)
    check = next(c for c in result.checks if c["metric"] == "test_intake_auroc_red")
    assert check["ok"] and check["within_noise"]
    assert "within noise" in result.summary()
