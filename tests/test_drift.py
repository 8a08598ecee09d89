"""Drift: PSI by hand, a stable ledger reads stable, a shifted one is caught."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from risk.cli import main
from risk.drift import drift, psi
from risk.synth import generate, generate_to_dir


def test_psi_by_hand():
    ref = pd.Series({"a": 0.5, "b": 0.5})
    cur = pd.Series({"a": 0.25, "b": 0.75})
    expected = (0.25 - 0.5) * math.log(0.25 / 0.5) + (0.75 - 0.5) * math.log(0.75 / 0.5)
    assert psi(ref, cur) == pytest.approx(expected)
    assert psi(ref, ref) == 0


def test_same_process_is_stable_and_a_shift_is_caught():
    pop = generate(20_000, 2, 1)
    half = pop.households["household_id"].drop_duplicates().sample(frac=0.5, random_state=0)

    def part(frame: pd.DataFrame, inside: bool) -> pd.DataFrame:
        return frame[frame["household_id"].isin(half) == inside]

    a = {"households": part(pop.households, True), "cases": part(pop.cases, True)}
    b = {"households": part(pop.households, False), "cases": part(pop.cases, False)}
    same = drift(a, b)
    assert same.worst == "stable", same.fields.sort_values("psi").tail()
    shifted = b["households"].copy()
    shifted["alcohol_misuse"] = "frequent"
    shifted.loc[shifted.index[:2000], "phq9"] = pd.NA
    report = drift({"households": a["households"]}, {"households": shifted})
    verdict = report.fields.set_index("field")["verdict"]
    assert verdict["alcohol_misuse"] == "major" and verdict["phq9"] != "stable"
    assert report.as_metrics()["drift_fields_major"] >= 1


def test_drift_command(tmp_path, capsys):
    generate_to_dir(tmp_path / "a", households=3_000, years=2, seed=1, progress=False)
    generate_to_dir(tmp_path / "b", households=3_000, years=2, seed=2, progress=False)
    code = main(
        [
            "drift",
            "--reference",
            str(tmp_path / "a"),
            "--current",
            str(tmp_path / "b"),
            "--out",
            str(tmp_path / "drift.csv"),
        ]
    )
    assert code in (0, 1)
    printed = capsys.readouterr().out
    assert "PSI" in printed and "label red" in printed
    assert len(pd.read_csv(tmp_path / "drift.csv")) > 20


def test_a_category_moving_inside_a_stable_field_is_reported():
    pop = generate(20_000, 2, 1)
    a, b = pop.households.iloc[::2].copy(), pop.households.iloc[1::2].copy()
    frequent = b.index[b["alcohol_misuse"] == "none"][: int(0.06 * len(b))]
    b.loc[frequent, "alcohol_misuse"] = "frequent"  # frequent drinking about doubles
    report = drift({"households": a}, {"households": b})
    field = report.fields.set_index("field").loc["alcohol_misuse"]
    assert field["psi"] < 0.25  # the field's whole distribution hides it...
    shifted = report.categories.set_index(["field", "value"])
    assert ("alcohol_misuse", "frequent") in shifted.index  # ...its category does not
    assert any("经常" in line for line in report.findings("zh"))
    assert any("frequent" in line for line in report.findings("en"))


def test_new_grids_and_blank_police_notes_are_caught_in_a_shifted_population():
    a, b = generate(6_000, 2, 1), generate(6_000, 2, 2, shift="rural")
    report = drift(
        {"households": a.households, "cases": a.cases},
        {"households": b.households, "cases": b.cases},
    )
    grids = report.ids.set_index("field").loc["grid_id"]
    assert grids["unseen_share"] == 1.0 and grids["verdict"] == "major"
    police = report.text.set_index("value").loc["police"]
    assert police["missing_current"] > police["missing_reference"] + 0.2
    assert police["verdict"] == "major"
    assert report.worst == "major"
    assert any("网格编号" in line for line in report.findings("zh"))


def test_halves_of_one_population_have_no_category_or_text_shift():
    pop = generate(20_000, 2, 1)
    half = pop.households["household_id"].drop_duplicates().sample(frac=0.5, random_state=0)
    inside = {
        k: f[f["household_id"].isin(half)]
        for k, f in (("households", pop.households), ("cases", pop.cases))
    }
    outside = {
        k: f[~f["household_id"].isin(half)]
        for k, f in (("households", pop.households), ("cases", pop.cases))
    }
    report = drift(inside, outside)
    assert report.categories.empty, report.categories
    assert set(report.text["verdict"]) == {"stable"}
