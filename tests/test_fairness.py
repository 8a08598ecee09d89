"""Subgroup audit: intervals around every figure, small subgroups read insufficient evidence."""

from __future__ import annotations

import numpy as np
import pandas as pd

from risk.fairness import INSUFFICIENT, MEASURED, audit, audit_lines, status_label


def _units(n: int = 4000, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    p_red = rng.uniform(0.0, 0.3, n)
    y = np.where(rng.random(n) < p_red, "red", "green")
    proba = np.column_stack([1 - p_red, np.zeros(n), p_red])
    tiers = np.where(p_red > 0.2, "red", "green")
    groups = pd.DataFrame({"area": np.where(np.arange(n) < 30, "tiny", rng.choice(["a", "b"], n))})
    return groups, y, proba, tiers


def test_a_small_subgroup_reads_insufficient_evidence_never_a_pass():
    groups, y, proba, tiers = _units()
    table = audit(groups, y, proba, tiers, n_boot=50, minimums=(500, 20))
    status = table.drop_duplicates("value").set_index("value")["status"]
    assert status["tiny"] == INSUFFICIENT
    assert status["a"] == MEASURED and status["b"] == MEASURED
    zh = " ".join(audit_lines(table, "zh"))
    en = " ".join(audit_lines(table, "en"))
    assert "tiny" in zh and "证据不足" in zh and "insufficient evidence" in en


def test_every_gap_has_an_interval_around_it():
    groups, y, proba, tiers = _units()
    table = audit(groups, y, proba, tiers, n_boot=50, minimums=(500, 20))
    measured = table[(table["status"] == MEASURED) & table["gap"].notna()]
    assert len(measured) == 2 * 4
    assert (measured["gap_low"] <= measured["gap"] + 1e-12).all()
    assert (measured["gap"] <= measured["gap_high"] + 1e-12).all()
    assert (measured["gap_high"] > measured["gap_low"]).all()


def test_measured_intervals_bootstrap_only_the_subgroups_judged():
    groups, y, proba, tiers = _units()
    every = audit(groups, y, proba, tiers, n_boot=50, minimums=(500, 20))
    table = audit(groups, y, proba, tiers, n_boot=50, minimums=(500, 20), intervals="measured")
    intervals = ["low", "high", "gap_low", "gap_high"]
    pd.testing.assert_frame_equal(table.drop(columns=intervals), every.drop(columns=intervals))
    tiny = table[table["value"] == "tiny"]
    assert tiny[intervals].isna().all().all()
    measured = table[table["status"] == MEASURED]
    assert (measured["low"] <= measured["figure"]).all()
    assert (measured["figure"] <= measured["high"]).all()


def test_status_labels_come_from_the_label_table():
    assert status_label(INSUFFICIENT) == ("证据不足", "insufficient evidence")
    assert status_label(MEASURED) == ("已测量", "measured")
