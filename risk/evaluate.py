"""Measuring a model beside its baselines on labelled units: the figures every run logs.

:func:`evaluate` scores units with the deployed model (probabilities, policy tiers with
floors) and reports every figure **per decision** (``{prefix}_intake_*`` for case intake,
``{prefix}_screening_*`` for household screening), because a centre deciding about a case
never compares it with a surveyed household; the pooled figures (``{prefix}_*``) are an
extra line only. Beside the model, the same figures of the baselines, the agreement with
the worker's own ``assessed_tier``, the review flag's share and per-tier coverage, and the
subgroup audit per decision.

The subgroup audit is :func:`risk.fairness.audit`, the same that ``risk monitor`` runs:
each subgroup's red AUROC, O/E, calibration in the large and red false-negative rate, its
gap to all the decision's units, and its status. Only subgroups large enough to be judged
get a 95% bootstrap interval (``fairness_bootstrap`` replicates, ``risk/config/gate.yaml``):
the bootstrap costs about a tenth of a second per replicate and grouping column on a few
thousand units, and runs at every training; a subgroup with insufficient evidence is not
judged, so its interval is left empty rather than paid for.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from risk.fairness import INSUFFICIENT, MEASURED, audit
from risk.models.decision import DECISIONS
from risk.models.metrics import agreement, probability_metrics, tier_metrics
from risk.models.policy import Policy
from risk.models.tiers import TIERS, tier_codes
from risk.models.triage import TriageModel
from risk.registry import gate_settings

__all__ = [
    "Evaluation",
    "Scored",
    "decision_plots",
    "evaluate",
    "fairness_gaps",
    "metric_cell",
    "metric_cells",
    "metric_values",
    "subgroup_columns",
    "targets_missed",
]

SUBGROUPS = (
    "area",
    "grid_group",
    "dispute_type",
    "counterpart",
    "source",
    "hard_flag",
    "has_survey",
)


@dataclass
class Scored:
    """One scorer's probabilities ``(n, 3)`` and tiers (names) on the evaluated units."""

    proba: np.ndarray
    tiers: np.ndarray


@dataclass
class Evaluation:
    metrics: dict[str, float]
    #: The subgroup audit of each decision (:func:`risk.fairness.audit`: one row per
    #: subgroup and figure, with intervals and status), with a ``decision`` column.
    subgroups: pd.DataFrame
    scored: dict[str, Scored] = field(default_factory=dict)
    #: Each evaluated unit's decision (names), aligned with ``scored``.
    decisions: np.ndarray = field(default_factory=lambda: np.array([], object))
    #: The columns the subgroup audit cut the units by (:func:`subgroup_columns`).
    groups: pd.DataFrame = field(default_factory=pd.DataFrame)


def subgroup_columns(
    units: pd.DataFrame, grid_group: pd.Series | None = None, hard_flag: Any = None
) -> pd.DataFrame:
    """The columns the subgroup audit is cut by, as plain strings."""
    out = pd.DataFrame(index=units.index)
    for name in ("area", "dispute_type", "counterpart", "source"):
        if name in units:
            out[name] = units[name].astype(object).where(units[name].notna(), "missing").astype(str)
    if hard_flag is not None:
        out["hard_flag"] = np.where(np.asarray(hard_flag, bool), "yes", "no")
    out["has_survey"] = np.where(units["household_size"].notna(), "yes", "no")
    if grid_group is not None:
        out["grid_group"] = grid_group.to_numpy()
    return out[[c for c in SUBGROUPS if c in out]]


def evaluate(
    model: TriageModel,
    units: pd.DataFrame,
    labels: Any,
    *,
    prefix: str = "test",
    baselines: dict[str, Scored] | None = None,
    grid_group: pd.Series | None = None,
) -> Evaluation:
    """Metrics of ``model`` (and ``baselines``) on ``units`` with known ``labels``."""
    y = tier_codes(labels)
    frame = model.predict_frame(units, reasons=False)
    proba = frame[["p_green", "p_yellow", "p_red"]].to_numpy()
    tiers = frame["tier"].astype(str).to_numpy()
    decisions = frame["decision"].astype(str).to_numpy()
    scored = {"model": Scored(proba, tiers), **(baselines or {})}
    floors, _ = model.policy.floors(units)
    groups = subgroup_columns(units, grid_group, hard_flag=floors >= 2)
    n_boot = int(gate_settings().get("fairness_bootstrap", 100))

    metrics: dict[str, float] = {}
    tables = []
    everyone = np.ones(y.size, bool)
    for name, rows in (("", everyone), *((d, decisions == d) for d in DECISIONS)):
        head = f"{prefix}_{name}" if name else prefix
        if not rows.any():
            continue
        metrics.update(_figures(scored, y, rows, head))
        metrics.update(_review(frame, y, rows, head))
        if "assessed_tier" in units and units["assessed_tier"][rows].notna().any():
            metrics.update(
                _prefixed(agreement(tiers[rows], units["assessed_tier"][rows]), f"{head}_assessed")
            )
        if name:
            table = audit(
                groups[rows], y[rows], proba[rows], tiers[rows], n_boot=n_boot, intervals="measured"
            )
            table.insert(0, "decision", name)
            tables.append(table)
            metrics.update(_prefixed(fairness_gaps(table), f"{head}_fairness"))
    subgroups = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()
    return Evaluation(metrics, subgroups, scored, decisions, groups)


def metric_values(
    metrics: dict[str, float], head: str, names: list[str] | tuple[str, ...], key: str
) -> list[float | None]:
    """One figure of each scorer under ``head`` (``test_intake``, ...): the model's is
    ``{head}_{key}``, a baseline's ``{head}_{name}_{key}``; None if absent or undefined."""
    values = []
    for name in names:
        value = metrics.get(f"{head}_{key}" if name == "model" else f"{head}_{name}_{key}")
        values.append(None if value is None or value != value else float(value))
    return values


def metric_cell(value: float | None) -> str:
    """A figure as a table cell: four decimals, "—" if absent."""
    return "—" if value is None else f"{value:.4f}"


def metric_cells(
    metrics: dict[str, float], head: str, names: list[str] | tuple[str, ...], key: str
) -> list[str]:
    """:func:`metric_values` as table cells."""
    return [metric_cell(v) for v in metric_values(metrics, head, names, key)]


def _figures(scored: dict[str, Scored], y: np.ndarray, rows: np.ndarray, head: str) -> dict:
    out: dict[str, float] = {}
    for name, s in scored.items():
        key = head if name == "model" else f"{head}_{name}"
        out.update(_prefixed(probability_metrics(y[rows], s.proba[rows]), key))
        out.update(_prefixed(tier_metrics(y[rows], s.tiers[rows]), f"{key}_tier"))
    out[f"{head}_n_units"] = float(rows.sum())
    for rank, tier in enumerate(TIERS):
        out[f"{head}_label_rate_{tier}"] = float((y[rows] == rank).mean())
        out[f"{head}_n_label_{tier}"] = float((y[rows] == rank).sum())
    return out


def _review(frame: pd.DataFrame, y: np.ndarray, rows: np.ndarray, head: str) -> dict:
    """The review flag's share, and how often the plausible set holds the true tier."""
    sets = frame["prediction_set"].astype(str).to_numpy()[rows]
    truth = np.asarray(TIERS, object)[y[rows]]
    covered = np.array([t in s.split("|") for s, t in zip(sets, truth, strict=True)])
    out = {
        f"{head}_review_share": float(frame["review_recommended"].to_numpy()[rows].mean()),
        f"{head}_set_coverage": float(covered.mean()),
        f"{head}_model_red_share_before_floors": float(
            (frame["model_tier"].to_numpy()[rows] == "red").mean()
        ),
    }
    for tier in TIERS:
        mine = truth == tier
        out[f"{head}_set_coverage_{tier}"] = float(covered[mine].mean()) if mine.any() else np.nan
    return out


FAIRNESS_METRICS = ("auroc_red", "observed_expected_red", "fnr_red")


def fairness_gaps(table: pd.DataFrame) -> dict[str, float]:
    """The gate's fairness figures from a subgroup audit (:func:`risk.fairness.audit`):
    the worst absolute gap to all units, per metric, over the measured subgroups (those
    with ``fairness_min_units`` units and ``fairness_min_red`` red ones), the worst absolute
    calibration in the large of a measured grid group, and how many subgroups were measured
    and how many had insufficient evidence. A worst figure is NaN when no subgroup is
    measured (insufficient evidence, which the gate reports as such and never as a pass)."""
    measured = table[table["status"] == MEASURED]
    out = {}
    for metric in FAIRNESS_METRICS:
        gaps = measured.loc[measured["metric"] == metric, "gap"].abs().dropna()
        out[f"worst_gap_{metric}"] = float(gaps.max()) if len(gaps) else float("nan")
    grids = measured[(measured["group"] == "grid_group") & (measured["metric"] == "citl_red")]
    citl = grids["figure"].abs().dropna()
    out["worst_citl_red_grid_group"] = float(citl.max()) if len(citl) else float("nan")
    subgroups = table.drop_duplicates(["group", "value"])
    out["groups_measured"] = float((subgroups["status"] == MEASURED).sum())
    out["groups_insufficient"] = float((subgroups["status"] == INSUFFICIENT).sum())
    return out


def _prefixed(values: dict[str, float], prefix: str) -> dict[str, float]:
    return {f"{prefix}_{k}": float(v) for k, v in values.items()}


def decision_plots(evaluation: Evaluation, y: np.ndarray, folder: Path) -> dict[str, list[Path]]:
    """Calibration, ROC/PR, tier mix and subgroup plots, one set per decision."""
    from risk.models.plots import calibration_plot, roc_pr_plot, subgroup_plot, tier_mix_plot

    paths: dict[str, list[Path]] = {}
    for name in DECISIONS:
        rows = evaluation.decisions == name
        if not rows.any():
            continue
        probas = {k: s.proba[rows] for k, s in evaluation.scored.items()}
        tiers = {k: s.tiers[rows] for k, s in evaluation.scored.items()}
        table = evaluation.subgroups[evaluation.subgroups["decision"] == name]
        paths[name] = [
            calibration_plot(y[rows], probas["model"], folder / f"calibration_{name}.png"),
            roc_pr_plot(y[rows], probas, folder / f"roc_pr_{name}.png"),
            tier_mix_plot(tiers, folder / f"tier_mix_{name}.png"),
            subgroup_plot(table.drop(columns="decision"), folder / f"subgroups_{name}.png"),
        ]
    return paths


def targets_missed(evaluation: Evaluation, policy: Policy, prefix: str = "test") -> dict:
    """Per decision, the policy's targets its tiers missed on the evaluated units (a target
    whose figure is undefined there, for want of events, is not counted as missed)."""
    out: dict[str, list[str]] = {}
    for name in DECISIONS:
        m = evaluation.metrics
        head = f"{prefix}_{name}_tier"
        if f"{head}_mix_red" not in m:
            continue
        checks = policy.decisions[name].targets.judge(
            red_share=m[f"{head}_mix_red"],
            yellow_or_red_share=1 - m[f"{head}_mix_green"],
            red_recall=m[f"{head}_red_recall"],
            green_red_rate=m[f"{head}_green_red_rate"],
            yellow_or_red_recall=m[f"{head}_yellow_or_red_recall"],
        )
        out[name] = [k for k, ok in checks.items() if ok is False]
    return out
