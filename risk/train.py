"""Training a model on a ledger: prepare, fit, assess, log.

``risk train --data DIR`` reads the ledger, builds labelled scoring units, trains on the
earliest 60% of them by date, calibrates and chooses thresholds on the next 20%, and
reports on the latest 20%, beside a DASH-style checklist and a logistic regression
(:mod:`risk.assess`, which the model card shares). The run logs its parameters, policy,
data versions, metrics, plots and the pyfunc model, and registers the model as
``risk-triage`` (promotion is a separate, gated step).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from risk.assess import Prepared, assess, prepare
from risk.dataset import Ledger, load_ledger
from risk.drift import DriftReport, ledger_drift
from risk.errors import ModelError
from risk.evaluate import Evaluation, decision_plots
from risk.i18n import both
from risk.models.fit import FitResult, fit_triage
from risk.models.policy import load_policy
from risk.models.tiers import tier_codes
from risk.models.triage import ModelInfo
from risk.progress import Steps
from risk.registry import MODEL_NAME, Registry

__all__ = ["TrainOutcome", "notes_text", "train"]

DEFAULT_EXPERIMENT = "risk-triage"


@dataclass
class TrainOutcome:
    run_id: str
    version: str | None
    metrics: dict[str, float]
    fit: FitResult
    evaluation: Evaluation


def train(
    data_dir: Path,
    *,
    experiment: str = DEFAULT_EXPERIMENT,
    policy_path: Path | None = None,
    params: dict[str, Any] | None = None,
    uri: str | None = None,
    register: bool = True,
    progress: bool = False,
    base: str | None = None,
    extract_date: str | None = None,
) -> TrainOutcome:
    """Train, evaluate and log one model; register it unless ``register`` is false.

    ``base="champion"`` trains on the champion's training ledger combined with this one
    (a case or survey wave in both keeps the newer row). Whenever there is a champion, the
    new ledger's drift from the champion's is computed and logged.
    """
    if base is not None and base != "champion":
        raise ModelError(f"--base: only 'champion' is supported, got {base!r}")
    steps = Steps(progress, "train")
    registry = Registry(uri)
    policy = load_policy(policy_path)
    with steps("read and validate the ledger"):
        ledger = load_ledger(data_dir, extract_date)
    with tempfile.TemporaryDirectory() as scratch:
        data, drifted = _prepare(registry, ledger, base, Path(scratch), steps)
    train_, calibration = data.splits["train"], data.splits["calibration"]
    with steps(f"fit on {len(train_.units):,} units, calibrate on the next period"):
        fit = fit_triage(
            train_.units,
            train_.labels,
            calibration.units,
            calibration.labels,
            policy,
            recent=data.recent,
            params=params,
            info=_info(data, params),
        )
    with steps(f"evaluate on {len(data.test.units):,} test units beside the baselines"):
        evaluation = assess(fit.model, data)
    metrics = _metrics(data, fit, evaluation, drifted)
    with steps("log the run and register the model"):
        run_id, version = _log_run(
            registry, experiment, data, fit, evaluation, metrics, drifted, register
        )
    return TrainOutcome(run_id, version, metrics, fit, evaluation)


def _prepare(
    registry: Registry, ledger: Ledger, base: str | None, scratch: Path, steps: Steps
) -> tuple[Prepared, DriftReport | None]:
    """The ledger to train on (with the champion's under ``--base champion``), and its
    drift from the champion's training ledger when there is a champion."""
    champion = registry.champion()
    reference = None
    if champion is not None:
        with steps(f"the champion's (version {champion.version}) training ledger"):
            reference = registry.ledger_of(champion, scratch / "champion")
    if base is not None and reference is None:
        raise ModelError("--base champion: there is no champion with a logged ledger")
    with steps("scoring units, history and labels"):
        data = prepare(ledger)
        drifted = None
        if reference is not None:
            drifted = ledger_drift(reference, ledger, current_units=data.units)
            if base is not None:
                data = prepare(reference.combine(ledger))
    return data, drifted


def _info(data: Prepared, params: dict[str, Any] | None) -> ModelInfo:
    return ModelInfo(
        name=MODEL_NAME,
        trained_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        data={
            **{f"{k}_sha256": v for k, v in data.ledger.versions.items()},
            **{
                f"{s.name}_period": f"{s.start.date()}..{s.end.date()}"
                for s in data.splits.values()
            },
        },
        params=dict(params or {}),
    )


def _metrics(
    data: Prepared, fit: FitResult, evaluation: Evaluation, drifted: DriftReport | None
) -> dict[str, float]:
    """Everything the run logs as metrics: the test period's figures per decision, drift,
    subgroups, what each decision's thresholds achieved on calibration, fit times, sizes."""
    return {
        **evaluation.metrics,
        **(drifted.as_metrics() if drifted is not None else {}),
        **_subgroup_metrics(evaluation.subgroups, "test_sub"),
        **{
            k: v
            for d, choice in fit.choices.items()
            for k, v in choice.as_metrics(f"calibration_policy_{d}_").items()
        },
        **{f"fit_seconds_{k}": v for k, v in fit.seconds.items()},
        **{f"n_{s.name}": float(len(s.units)) for s in data.splits.values()},
    }


def _log_run(
    registry: Registry,
    experiment: str,
    data: Prepared,
    fit: FitResult,
    evaluation: Evaluation,
    metrics: dict[str, float],
    drifted: DriftReport | None,
    register: bool,
) -> tuple[str, str | None]:
    """One MLflow run: parameters, policy, thresholds, notes, metrics, plots, subgroups,
    drift, the ledger trained on and the pyfunc model (registered unless ``register`` is
    false). Returns the run id and the registered version."""
    import mlflow

    from risk.models.pyfunc import log_model

    policy = fit.model.policy
    experiment_id = registry.experiment(experiment)
    with mlflow.start_run(experiment_id=experiment_id) as run, tempfile.TemporaryDirectory() as tmp:
        mlflow.log_params(
            {**fit.classifier.get_params(deep=False), **{"policy_version": policy.version}}
            | dict(fit.model.info.data)
        )
        mlflow.log_text(policy.to_yaml(), "policy.yaml")
        mlflow.log_dict(
            {d: c.thresholds.model_dump() for d, c in fit.choices.items()}, "thresholds.json"
        )
        mlflow.log_text(notes_text(fit), "notes.txt")
        mlflow.log_metrics(_finite(metrics))
        folder = Path(tmp)
        plots = decision_plots(evaluation, tier_codes(data.test.labels), folder)
        for path in (p for paths in plots.values() for p in paths):
            mlflow.log_artifact(str(path), "plots")
        evaluation.subgroups.to_csv(folder / "subgroups.csv", index=False)
        mlflow.log_artifact(str(folder / "subgroups.csv"))
        if drifted is not None:
            drifted.fields.to_csv(folder / "drift.csv", index=False)
            mlflow.log_artifact(str(folder / "drift.csv"))
            mlflow.set_tag("drift_verdict", drifted.worst)
        # The ledger trained on travels with the run: the next --base starts here.
        mlflow.log_artifacts(str(data.ledger.write(folder / "ledger")), "ledger")
        logged = log_model(fit.model, data.test.units, folder, MODEL_NAME if register else None)
    registered = getattr(logged, "registered_model_version", None)
    return run.info.run_id, str(registered) if register else None


def notes_text(fit: FitResult) -> str:
    """What training says about each decision, in Chinese then English."""
    lines = []
    for name, notes in fit.notes.items():
        zh, en = both(f"decision_{name}")
        for note_zh, note_en in notes:
            lines.append(f"{zh}：{note_zh}\n{en}: {note_en}")
    return "\n".join(lines) + ("\n" if lines else "")


def _subgroup_metrics(table: Any, prefix: str) -> dict[str, float]:
    """The subgroup audit's figures as metrics: ``test_sub_intake_area_rural_auroc_red``,
    ``..._n`` and so on (the intervals and statuses travel in ``subgroups.csv``)."""
    out = {}
    for row in table.itertuples(index=False):
        value = "".join(ch if ch.isalnum() or ch in "_-." else "_" for ch in str(row.value))
        head = f"{prefix}_{row.decision}_{row.group}_{value}"
        out[f"{head}_n"] = float(row.n)
        out[f"{head}_{row.metric}"] = float(row.figure)
    return out


def _finite(metrics: dict[str, float]) -> dict[str, float]:
    """MLflow rejects NaN in some stores; a metric that is undefined is left out."""
    return {k: float(v) for k, v in metrics.items() if v is not None and np.isfinite(v)}
