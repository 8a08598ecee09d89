"""Subgroup audit: intervals around every figure, small subgroups read insufficient evidence."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from risk.errors import ModelError
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


Y = np.array([0, 0, 1, 2, 2, 0])
TIERS_GIVEN = np.array(["green", "yellow", "yellow", "red", "green", "red"], object)


def _figures(table: pd.DataFrame, value: str) -> pd.DataFrame:
    return table[table["value"] == value].set_index("metric")


def test_figures_by_hand_and_one_class_gives_nan_not_a_crash():
    groups = pd.DataFrame({"area": ["urban"] * 3 + ["rural"] * 3})
    proba = np.array([[0.9, 0.05, 0.05]] * 6)
    table = audit(groups, Y, proba, TIERS_GIVEN, n_boot=0, minimums=(1, 0))
    urban = _figures(table, "urban")
    assert (urban["n"] == 3).all() and (urban["n_red"] == 0).all()
    assert math.isnan(urban.loc["auroc_red", "figure"])
    rural = _figures(table, "rural")  # units 3, 4, 5: labels 2, 2, 0; tiers red, green, red
    assert rural.loc["fnr_red", "figure"] == pytest.approx(1 / 2)
    assert rural.loc["observed_expected_red", "figure"] == pytest.approx(2 / 0.15)
    assert rural.loc["citl_red", "figure"] == pytest.approx(2 / 3 - 0.05)
    assert rural.loc["citl_red", "gap"] == pytest.approx(2 / 3 - 2 / 6)
    assert rural.loc["fnr_red", "gap"] == pytest.approx(1 / 2 - 1 / 2)
    assert rural.loc["citl_red", "all_units"] == pytest.approx(2 / 6 - 0.05)


def test_missing_values_form_their_own_subgroup():
    groups = pd.DataFrame(
        {
            "area": pd.Series(["urban", None, "rural", "urban", None, "rural"], dtype="str"),
            "has_survey": ["yes"] * 6,
        }
    )
    table = audit(groups, Y, np.full((6, 3), 1 / 3), TIERS_GIVEN, n_boot=0, minimums=(1, 0))
    subgroups = table.drop_duplicates(["group", "value"])
    assert subgroups[["group", "value"]].values.tolist() == [
        ["area", "missing"],
        ["area", "rural"],
        ["area", "urban"],
        ["has_survey", "yes"],
    ]
    assert subgroups.groupby("group")["n"].sum().to_dict() == {"area": 6, "has_survey": 6}


@pytest.mark.parametrize(
    ("groups", "proba", "tiers", "match"),
    [
        (pd.DataFrame({"a": [1]}), np.ones((6, 3)), TIERS_GIVEN, "groups"),
        (pd.DataFrame({"a": [1] * 6}), np.ones((6, 2)), TIERS_GIVEN, "proba"),
        (pd.DataFrame({"a": [1] * 6}), np.full((6, 3), np.nan), TIERS_GIVEN, "proba"),
        (pd.DataFrame({"a": [1] * 6}), np.ones((6, 3)), TIERS_GIVEN[:3], "tiers"),
    ],
)
def test_bad_input_names_the_argument(groups, proba, tiers, match):
    with pytest.raises(ModelError, match=match):
        audit(groups, Y, proba, tiers, n_boot=0)


def test_columns_cutting_units_alike_get_the_same_intervals_under_their_own_names():
    groups, y, proba, tiers = _units()
    renamed = {"a": "zz", "b": "aa", "tiny": "mm"}  # sorted the other way round
    groups["same"] = groups["area"].map(renamed)
    table = audit(groups, y, proba, tiers, n_boot=30, minimums=(500, 20))
    area = table[table["group"] == "area"].assign(value=lambda t: t["value"].map(renamed))
    same = table[table["group"] == "same"]
    key = ["value", "metric"]
    columns = ["n", "n_red", "status", "figure", "low", "high", "gap_low", "gap_high"]
    pd.testing.assert_frame_equal(
        area.sort_values(key)[columns].reset_index(drop=True),
        same.sort_values(key)[columns].reset_index(drop=True),
    )
