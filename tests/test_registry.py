"""The promotion gate and the registry round trip: train → register → promote → load."""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from dataclasses import replace
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from utils.fitted import HOUSEHOLDS, QUICK, SEED, YEARS
from utils.stores import store_with_models

from risk.cli import main
from risk.errors import ModelError
from risk.registry import CHAMPION, GATE, MODEL_NAME, Registry, gate
from risk.synth import generate_to_dir
from risk.train import train

GOOD = {metric: (0.9 if d == "higher" else 0.01) for metric, (d, _) in GATE.items()}


def test_gate_passes_an_equal_or_better_candidate():
    assert gate(GOOD, GOOD).passed
    better = {k: (v + 0.01 if GATE[k][0] == "higher" else v / 2) for k, v in GOOD.items()}
    assert gate(better, GOOD).passed


@pytest.mark.parametrize("metric", list(GATE))
def test_gate_refuses_a_candidate_worse_beyond_tolerance(metric):
    direction, tolerance = GATE[metric]
    worse = dict(GOOD)
    worse[metric] += -(tolerance + 0.01) if direction == "higher" else tolerance + 0.01
    result = gate(worse, GOOD)
    assert not result.passed
    assert [c["metric"] for c in result.checks if not c["ok"]] == [metric]
    within = dict(GOOD)
    within[metric] += -tolerance / 2 if direction == "higher" else tolerance / 2
    assert gate(within, GOOD).passed


def test_gate_refuses_a_candidate_missing_a_metric():
    partial = dict(GOOD)
    partial.pop(next(iter(GATE)))
    assert not gate(partial, GOOD).passed


def test_gate_passes_a_figure_neither_model_can_have_on_the_same_units():
    metric = next(iter(GATE))
    undefined = {**GOOD, metric: float("nan")}
    result = gate(undefined, undefined)
    assert result.passed
    assert [c["metric"] for c in result.checks if not c["measured"]] == [metric]
    assert "insufficient evidence" in result.summary()
    assert not gate(undefined, GOOD).passed  # only the candidate lacks it: refused


def test_gate_judges_calibration_in_the_large_by_its_distance_from_zero():
    metric = next(m for m, (d, _) in GATE.items() if d == "zero")
    tolerance = GATE[metric][1]
    champion = {**GOOD, metric: 0.01}
    assert gate({**GOOD, metric: -0.01}, champion).passed  # as far off, the other way
    assert not gate({**GOOD, metric: -(0.01 + tolerance + 0.005)}, champion).passed


def test_a_red_figure_on_too_few_events_reads_insufficient_evidence_not_a_pass():
    counts = {"test_intake_n_label_red": 12.0, "test_intake_n_label_yellow": 400.0}
    worse = {**GOOD, **counts, "test_intake_auroc_red": 0.5}
    result = gate(worse, {**GOOD, **counts})
    check = next(c for c in result.checks if c["metric"] == "test_intake_auroc_red")
    assert not check["measured"]
    assert "insufficient evidence test_intake_auroc_red" in result.summary()
    judged = next(c for c in result.checks if c["metric"] == "test_intake_auroc_yellow_or_red")
    assert judged["measured"]  # 412 yellow-or-red events: judged


def test_every_gate_metric_is_a_decision_figure():
    assert all(m.startswith(("test_intake_", "test_screening_")) for m in GATE)
    assert {m.split("_")[1] for m in GATE} == {"intake", "screening"}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    root = tmp_path_factory.mktemp("registry")
    data = root / "data"
    generate_to_dir(data, households=HOUSEHOLDS, years=YEARS, seed=SEED, progress=False)
    return f"sqlite:///{root / 'mlruns' / 'mlflow.db'}", data


@pytest.fixture(scope="module")
def trained(store):
    uri, data = store
    (Path(uri.removeprefix("sqlite:///")).parent).mkdir(parents=True, exist_ok=True)
    return train(data, uri=uri, params=QUICK)


def test_train_logs_a_complete_run_and_registers(store, trained):
    uri, _ = store
    registry = Registry(uri)
    version = registry.version_of(trained.version)
    run = registry.client.get_run(version.run_id)
    for key in (
        "test_auroc_red",
        "test_intake_auroc_red",
        "test_intake_checklist_auroc_red",
        "test_intake_logistic_auroc_red",
        "test_intake_ece_red",
        "test_intake_tier_red_recall",
        "test_intake_tier_mix_green",
        "test_intake_review_share",
        "test_intake_set_coverage",
        "test_screening_auroc_yellow_or_red",
        "test_screening_tier_mix_red",
        "calibration_policy_intake_t_red",
        "calibration_policy_screening_t_yellow",
    ):
        assert key in run.data.metrics, key
    assert run.data.params["households_sha256"]
    assert "test_sub_intake_area_rural_auroc_red" in run.data.metrics
    artifacts = {a.path for a in registry.client.list_artifacts(run.info.run_id)}
    assert {"policy.yaml", "thresholds.json", "notes.txt", "plots", "subgroups.csv"} <= artifacts
    plots = {a.path for a in registry.client.list_artifacts(run.info.run_id, "plots")}
    assert {"plots/calibration_intake.png", "plots/roc_pr_screening.png"} <= plots


def test_the_gate_judges_fairness_on_the_same_subgroups_the_run_logged(store, trained):
    """Held out for the gate, the candidate's fairness figures (grid groups included) are
    the ones its own run logged: the same units, cut into the same subgroups."""
    registry = Registry(store[0])
    version = registry.version_of(trained.version)
    held_out, _, _ = registry.held_out_metrics(version, version)
    fairness = {k: v for k, v in trained.metrics.items() if "_fairness_" in k}
    assert "test_intake_fairness_worst_citl_red_grid_group" in fairness
    assert pd.Series(fairness).equals(pd.Series({k: held_out[k] for k in fairness}))
    # grid groups Q1-Q4 and unknown are among the subgroups counted
    counted = ("groups_measured", "groups_insufficient")
    assert sum(held_out[f"test_intake_fairness_{c}"] for c in counted) >= 5


def test_pyfunc_round_trip_through_champion(store, trained):
    uri, _ = store
    registry = Registry(uri)
    assert registry.promote(trained.version).passed
    loaded = mlflow.pyfunc.load_model(f"models:/{MODEL_NAME}@{CHAMPION}")
    units = trained.fit.model  # the in-memory model, for comparison
    from utils.fitted import fitted

    frame = fitted().splits["test"].units.head(200)
    got = loaded.predict(frame)
    want = units.predict_frame(frame)
    assert list(got["tier"].astype(str)) == list(want["tier"].astype(str))
    np.testing.assert_allclose(got["p_red"], want["p_red"], rtol=0, atol=1e-12)
    assert (
        registry.load(f"@{CHAMPION}").predict_frame(frame)["model_version"] == trained.version
    ).all()
    assert got["reason_1_code"].notna().all()
    fast = loaded.predict(frame, params={"reasons": False})
    assert "reason_1_code" not in fast and np.allclose(fast["p_red"], want["p_red"])
    assert loaded.metadata.get_output_schema().input_names() == list(want.columns)


def test_a_loaded_model_is_labelled_with_the_version_the_registry_gave_it(model_store, tmp_path):
    """Two trainings at once, registered in the other order than they were trained: each
    model reports the version it was registered as, not what was saved with it."""
    champion = Registry(model_store).load(f"@{CHAMPION}")
    first, second = copy.copy(champion), copy.copy(champion)
    first.info = replace(champion.info, version="7", trained_at="first")
    second.info = replace(champion.info, version="7", trained_at="second")
    registry = Registry(store_with_models(model_store, tmp_path, [second, first]))
    for ref, version, trained in (("1", "1", "second"), ("models:/risk-triage/2", "2", "first")):
        model = registry.load(ref)
        assert (model.info.version, model.info.trained_at) == (version, trained)
        assert model.predict_record({})["model"]["version"] == version
    registry.client.set_registered_model_alias(MODEL_NAME, CHAMPION, "2")
    assert registry.load(f"@{CHAMPION}").info.trained_at == "first"


def test_load_names_a_version_the_registry_lacks(model_store):
    with pytest.raises(ModelError, match=r"risk-triage 99: not in the registry"):
        Registry(model_store).load("models:/risk-triage/99")


def test_promote_refuses_a_worse_candidate_unless_forced(store, trained, capsys):
    uri, _ = store
    registry = Registry(uri)
    registry.promote(trained.version)
    # Worse by construction: no boosting round, so every logit is the intercept and the
    # model cannot rank units at all (AUROC 0.5 in each decision).
    blind = {**QUICK, "max_rounds": 0, "interactions": 0}
    worse = train(store[1], uri=uri, params=blind)
    code = main(["promote", worse.version, "--tracking-uri", uri])
    assert code == 1
    printed = capsys.readouterr()
    # a figure on too few held-out events reads insufficient evidence (gate.yaml min_events);
    # the blind model is refused on the figures there is evidence for
    refused = re.findall(r"^NO (test_\w+)", printed.out, re.M)
    assert refused and "refused" in printed.err, printed.out
    # each refusal with the paired interval of how much worse, wholly above zero
    flat = " ".join(printed.out.split())  # the console wraps long lines
    intervals = re.findall(r"NO test_\w+: [^;]*; worse by ([-+.\d]+) to ([-+.\d]+)", flat)
    assert len(intervals) == len(refused), printed.out
    assert all(0 < float(low) <= float(high) for low, high in intervals)
    assert all(f"insufficient evidence {m}" not in printed.out for m in refused)
    assert str(registry.champion().version) == trained.version
    # Both were measured on the same held-out units: the candidate's test period.
    new, old, _ = registry.held_out_metrics(
        registry.version_of(worse.version), registry.version_of(trained.version)
    )
    for key in ("test_intake_n_units", "test_screening_n_units", "test_intake_n_label_red"):
        assert new[key] == old[key] == worse.metrics[key]
    assert new["test_intake_auroc_red"] == pytest.approx(0.5)
    with pytest.raises(ModelError, match="reason"):
        registry.promote(worse.version, force=True)
    assert (
        main(["promote", worse.version, "--force", "--reason", "drill", "--tracking-uri", uri]) == 0
    )
    champion = registry.champion()
    assert str(champion.version) == worse.version
    record = json.loads(champion.tags["promotion"])
    assert record["forced"] and record["reason"] == "drill"
    registry.promote(trained.version, force=True, reason="restore")


def test_evaluate_prints_the_figures_of_a_registered_model(store, trained, capsys):
    uri, data = store
    code = main(
        [
            "evaluate",
            "--model",
            f"models:/{MODEL_NAME}/{trained.version}",
            "--data",
            str(data),
            "--period",
            "test",
            "--tracking-uri",
            uri,
        ]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "auroc_red" in printed and "案件受理 / case intake" in printed
    assert "入户筛查 / household screening" in printed and "labelled units" in printed
    model = ["--model", f"models:/{MODEL_NAME}/{trained.version}", "--tracking-uri", uri]
    assert main(["evaluate", *model, "--data", str(data), "--format", "json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert set(figures) == {"intake", "screening", "pooled"}
    intake = {row["metric"]: row["model"] for row in figures["intake"]}
    assert 0.5 < intake["auroc_red"] <= 1 and intake["n_units"] > 100
    assert (
        main(
            [
                "evaluate",
                "--model",
                f"models:/{MODEL_NAME}/99",
                "--data",
                str(data),
                "--tracking-uri",
                uri,
            ]
        )
        == 2
    )


def test_retraining_on_champion_plus_new_ledger_records_both_and_is_reproducible(
    store, trained, tmp_path
):
    uri, _ = store
    registry = Registry(uri)
    registry.promote(trained.version, force=True, reason="retraining test")
    newer = tmp_path / "newer"
    generate_to_dir(
        newer,
        households=HOUSEHOLDS // 2,
        years=YEARS,
        seed=SEED + 1,
        start=dt.date(2022, 1, 1),
        progress=False,
    )
    combined = train(newer, uri=uri, params=QUICK, base="champion", register=False)
    assert combined.fit.model.info.data["base_cases_sha256"]
    assert combined.fit.model.info.data["cases_sha256"]
    assert any(k.startswith("drift_") for k in combined.metrics)
    again = train(newer, uri=uri, params=QUICK, base="champion", register=False)
    same = {k: v for k, v in combined.metrics.items() if not k.startswith("fit_seconds")}
    other = {k: v for k, v in again.metrics.items() if not k.startswith("fit_seconds")}
    assert pd.Series(same).sort_index().equals(pd.Series(other).sort_index())  # NaN == NaN
