"""Drift: PSI by hand, a stable ledger reads stable, a shifted one is caught."""

from __future__ import annotations

import json
import math
import shutil

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


def test_drift_command_exits_on_a_major_shift_and_says_it_in_both_languages(tmp_path, capsys):
    reference = tmp_path / "a"
    generate_to_dir(reference, households=3_000, years=2, seed=1, progress=False)
    same = ["drift", "--reference", str(reference), "--current", str(reference)]
    assert main(same) == 0
    printed = capsys.readouterr().out
    assert "结论：稳定 / verdict: stable" in printed and "红 red" in printed
    shifted = tmp_path / "b"
    shutil.copytree(reference, shifted)
    households = pd.read_parquet(shifted / "households.parquet")
    households["alcohol_misuse"] = households["alcohol_misuse"].where(
        households["alcohol_misuse"].isna(), "frequent"
    )
    households.to_parquet(shifted / "households.parquet")
    csv = tmp_path / "drift.csv"
    command = ["drift", "--reference", str(reference), "--current", str(shifted)]
    assert main([*command, "--out", str(csv)]) == 1
    printed = capsys.readouterr().out
    assert "结论：严重偏移 / verdict: major" in printed
    assert "酗酒" in printed and "alcohol" in printed  # (the table wraps the English label)
    table = pd.read_csv(csv, keep_default_na=False).set_index("field")
    assert table.loc[
        "alcohol_misuse", ["field_zh", "verdict", "verdict_zh", "verdict_en"]
    ].tolist() == [
        "酗酒",
        "major",
        "严重偏移",
        "major",
    ]
    assert table.loc["household_size", "verdict_zh"] == "稳定"
    assert table.loc["alcohol_misuse", "kind_zh"] == "入户调查"
    assert len(table) > 20


def test_drift_prints_json_and_csv_for_scripts(tmp_path, capsys):
    reference = tmp_path / "a"
    generate_to_dir(reference, households=1_000, years=2, seed=1, progress=False)
    command = ["drift", "--reference", str(reference), "--current", str(reference)]
    assert main([*command, "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert {r["verdict_en"] for r in doc["fields"]} == {"stable"}
    assert [r["tier"] for r in doc["labels"]] == ["green", "yellow", "red"]
    assert main([*command, "--format", "csv", "--out", str(tmp_path / "drift.csv")]) == 0
    printed = capsys.readouterr().out
    assert printed == (tmp_path / "drift.csv").read_text("utf-8")
    assert printed.splitlines()[0].startswith("kind,kind_zh,kind_en,field,field_zh")


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
