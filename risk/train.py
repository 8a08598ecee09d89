"""Training a model on a ledger: time splits, fit, evaluation beside baselines, MLflow.

``risk train --data DIR`` reads the ledger, builds labelled scoring units, trains on the
earliest 60% of them by date, calibrates and chooses thresholds on the next 20%, and
reports on the latest 20%, beside a DASH-style checklist and a logistic regression. The
run logs its parameters, policy, data versions, metrics, plots and the pyfunc model, and
registers the model as ``risk-triage`` (promotion is a separate, gated step).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from risk.dataset import Split, grid_groups, load_ledger, time_split, unlabelled
from risk.drift import ledger_drift
from risk.errors import ModelError
from risk.evaluate import Evaluation, Scored, decision_plots, evaluate
from risk.features.encoder import FeatureEncoder
from risk.i18n import both
from risk.models.baselines import ChecklistBaseline, LogisticBaseline
from risk.models.decision import DECISIONS, decision_index
from risk.models.fit import FitResult, fit_triage, has_own_classifier, inflow_units
from risk.models.policy import Policy, load_policy
from risk.models.thresholds import Scores, choose_thresholds
from risk.models.tiers import TIERS, policy_ranks, tier_codes
from risk.models.triage import ModelInfo
from risk.progress import Steps
from risk.registry import MODEL_NAME, Registry

__all__ = ["TrainOutcome", "baselines", "notes_text", "train"]

DEFAULT_EXPERIMENT = "risk-triage"


@dataclass
class TrainOutcome:
    run_id: str
    version: str | None
    metrics: dict[str, float]
    fit: FitResult
    evaluation: Evaluation


def baselines(
    splits: dict[str, Split],
    policy: Policy,
    encoder: FeatureEncoder,
    target: Split,
    recent: pd.DataFrame | None = None,
) -> dict[str, Scored]:
    """The checklist and the logistic regression, fitted per decision as the model was,
    scored on ``target``: each gets its decision's capacity (measured on the same inflow,
    ``recent`` units and the latest calibration ones), floors and thresholds."""
    train, cal = splits["train"], splits["calibration"]
    recent = cal.units.iloc[:0] if recent is None else recent
    X_train, X_cal, X_target, X_new = (
        encoder.transform(u) for u in (train.units, cal.units, target.units, recent)
    )
    y_train, y_cal = tier_codes(train.labels), tier_codes(cal.labels)
    d_train, d_cal, d_target, d_new = (decision_index(X) for X in (X_train, X_cal, X_target, X_new))
    floors_cal, _ = policy.floors(cal.units)
    floors_new, _ = policy.floors(recent)
    as_of_cal = cal.units["as_of"].to_numpy("datetime64[ns]")
    floors, _ = policy.floors(target.units)
    n = len(target.units)
    proba = {"checklist": np.zeros((n, 3)), "logistic": np.zeros((n, 3))}
    ranks = {"checklist": np.zeros(n, np.int64), "logistic": np.zeros(n, np.int64)}
    for i, name in enumerate(DECISIONS):
        rows = d_target == i
        if not rows.any():
            continue
        rule = policy.decisions[name]
        own = d_train == i
        if not has_own_classifier(y_train[own], rule.min_events):
            own = np.ones_like(own)  # too few events of its own: pooled, as the model
        # Like for like: the checklist's cut-offs get the decision's capacity.
        checklist = ChecklistBaseline(
            red_share=rule.targets.max_red_share,
            yellow_or_red_share=rule.targets.max_yellow_or_red_share,
        ).fit(train.units[own], train.labels[own])
        part = target.units[rows]
        proba["checklist"][rows] = checklist.predict_proba(part)
        ranks["checklist"][rows] = tier_codes(np.asarray(checklist.tiers(part)))
        logistic = LogisticBaseline().fit(X_train[own], y_train[own], encoder.specs_)
        c, new = d_cal == i, d_new == i
        p_cal = logistic.predict_proba(X_cal[c])
        X_in, floors_in = inflow_units(
            (X_new[new], floors_new[new]),
            (X_cal[c], floors_cal[c], as_of_cal[c]),
            rule.capacity_units,
        )
        p_in = logistic.predict_proba(X_in)
        t = choose_thresholds(
            p_cal[:, 2],
            1 - p_cal[:, 0],
            y_cal[c],
            floors_cal[c],
            rule,
            decision=name,
            capacity=Scores.of(p_in[:, 2], 1 - p_in[:, 0], floors_in),
        ).thresholds
        p = logistic.predict_proba(X_target[rows])
        proba["logistic"][rows] = p
        ranks["logistic"][rows] = policy_ranks(p[:, 2], 1 - p[:, 0], t.red, t.yellow, floors[rows])
    names = np.asarray(TIERS, object)
    return {k: Scored(proba[k], names[ranks[k]]) for k in proba}


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
    import mlflow

    from risk.models import pyfunc as pyfunc_module
    from risk.models.pyfunc import ARTIFACT, input_example, save_artifact, signature

    steps = Steps(progress, "train")
    registry = Registry(uri)
    policy = load_policy(policy_path)
    with steps("read and validate the ledger"):
        ledger = load_ledger(data_dir, extract_date)
    scratch = tempfile.TemporaryDirectory()
    champion = registry.champion()
    reference = None
    if champion is not None:
        with steps(f"the champion's (version {champion.version}) training ledger"):
            reference = registry.ledger_of(champion, Path(scratch.name) / "champion")
    if base is not None:
        if base != "champion":
            raise ModelError(f"--base: only 'champion' is supported, got {base!r}")
        if reference is None:
            raise ModelError("--base champion: there is no champion with a logged ledger")
    with steps("scoring units, history and labels"):
        units = ledger.units()
        drifted = None
        if reference is not None:
            drifted = ledger_drift(reference, ledger, units["label"])
        if base is not None and reference is not None:
            ledger = reference.combine(ledger)
            units = ledger.units()
        splits = time_split(units)
        recent = unlabelled(units)
    info = ModelInfo(
        name=MODEL_NAME,
        trained_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        data={
            **{f"{k}_sha256": v for k, v in ledger.versions.items()},
            **{f"{s.name}_period": f"{s.start.date()}..{s.end.date()}" for s in splits.values()},
        },
        params=dict(params or {}),
    )
    with steps(f"fit on {len(splits['train'].units):,} units, calibrate on the next period"):
        fit = fit_triage(
            splits["train"].units,
            splits["train"].labels,
            splits["calibration"].units,
            splits["calibration"].labels,
            policy,
            recent=recent,
            params=params,
            info=info,
        )
    test = splits["test"]
    with steps(f"evaluate on {len(test.units):,} test units beside the baselines"):
        groups = grid_groups(test.units, splits["train"].units)
        evaluation = evaluate(
            fit.model,
            test.units,
            test.labels,
            prefix="test",
            baselines=baselines(splits, policy, fit.model.encoder, test, recent),
            grid_group=groups,
        )
    metrics = {
        **evaluation.metrics,
        **(drifted.as_metrics() if drifted is not None else {}),
        **_subgroup_metrics(evaluation.subgroups, "test_sub"),
        **{
            k: v
            for d, choice in fit.choices.items()
            for k, v in choice.as_metrics(f"calibration_policy_{d}_").items()
        },
        **{f"fit_seconds_{k}": v for k, v in fit.seconds.items()},
        **{f"n_{s.name}": float(len(s.units)) for s in splits.values()},
    }
    with steps("log the run and register the model"):
        experiment_id = registry.experiment(experiment)
        with mlflow.start_run(experiment_id=experiment_id) as run:
            mlflow.log_params(
                {**fit.classifier.get_params(deep=False), **{"policy_version": policy.version}}
                | {k: v for k, v in info.data.items()}
            )
            mlflow.log_text(policy.to_yaml(), "policy.yaml")
            mlflow.log_dict(
                {d: c.thresholds.model_dump() for d, c in fit.choices.items()}, "thresholds.json"
            )
            mlflow.log_text(notes_text(fit), "notes.txt")
            mlflow.log_metrics(_finite(metrics))
            with tempfile.TemporaryDirectory() as tmp:
                folder = Path(tmp)
                plots = decision_plots(evaluation, tier_codes(test.labels), folder)
                for path in (p for paths in plots.values() for p in paths):
                    mlflow.log_artifact(str(path), "plots")
                evaluation.subgroups.to_csv(folder / "subgroups.csv", index=False)
                mlflow.log_artifact(str(folder / "subgroups.csv"))
                if drifted is not None:
                    drifted.fields.to_csv(folder / "drift.csv", index=False)
                    mlflow.log_artifact(str(folder / "drift.csv"))
                    mlflow.set_tag("drift_verdict", drifted.worst)
                # The ledger trained on travels with the run: the next --base starts here.
                mlflow.log_artifacts(str(ledger.write(folder / "ledger")), "ledger")
                artifact = save_artifact(fit.model, folder / "triage.joblib")
                example = input_example(test.units)
                logged = mlflow.pyfunc.log_model(
                    name="model",
                    python_model=str(Path(pyfunc_module.__file__).with_name("pyfunc_model.py")),
                    artifacts={ARTIFACT: str(artifact)},
                    signature=signature(),
                    input_example=example,
                    registered_model_name=MODEL_NAME if register else None,
                )
        registered = getattr(logged, "registered_model_version", None)
    scratch.cleanup()
    return TrainOutcome(
        run.info.run_id, str(registered) if register else None, metrics, fit, evaluation
    )


def notes_text(fit: FitResult) -> str:
    """What training says about each decision, in Chinese then English."""
    lines = []
    for name, notes in fit.notes.items():
        zh, en = both(f"decision_{name}")
        for note_zh, note_en in notes:
            lines.append(f"{zh}：{note_zh}\n{en}: {note_en}")
    return "\n".join(lines) + ("\n" if lines else "")


def _subgroup_metrics(table: Any, prefix: str) -> dict[str, float]:
    """The subgroup table as metrics: ``test_sub_intake_area_rural_auroc_red`` and so on."""
    out = {}
    for row in table.itertuples(index=False):
        value = "".join(ch if ch.isalnum() or ch in "_-." else "_" for ch in str(row.value))
        for key in ("n", "auroc_red", "observed_expected_red", "red_share", "fnr_red"):
            out[f"{prefix}_{row.decision}_{row.group}_{value}_{key}"] = float(getattr(row, key))
    return out


def _finite(metrics: dict[str, float]) -> dict[str, float]:
    """MLflow rejects NaN in some stores; a metric that is undefined is left out."""
    return {k: float(v) for k, v in metrics.items() if v is not None and np.isfinite(v)}
