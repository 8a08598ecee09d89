"""Measuring a model beside its baselines on labelled units: the figures every run logs.

:func:`evaluate` scores units with the deployed model (probabilities, policy tiers with
floors), computes the probability and tier metrics, the agreement with the worker's own
``assessed_tier`` and the subgroup table, and does the same for the baselines, so no
figure of the model is ever reported without the checklist's and the regression's beside it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from risk.models.metrics import agreement, probability_metrics, subgroup_table, tier_metrics
from risk.models.tiers import TIERS, tier_codes
from risk.models.triage import TriageModel
from risk.registry import fairness_minimums

__all__ = ["Evaluation", "Scored", "evaluate", "fairness_gaps", "subgroup_columns"]

SUBGROUPS = ("area", "grid_group", "dispute_type", "counterpart", "has_survey", "unit")


@dataclass
class Scored:
    """One scorer's probabilities ``(n, 3)`` and tiers (names) on the evaluated units."""

    proba: np.ndarray
    tiers: np.ndarray


@dataclass
class Evaluation:
    metrics: dict[str, float]
    subgroups: pd.DataFrame
    scored: dict[str, Scored] = field(default_factory=dict)
    coverage: float | None = None


def subgroup_columns(units: pd.DataFrame, grid_group: pd.Series | None = None) -> pd.DataFrame:
    """The columns the subgroup table is cut by, as plain strings."""
    out = pd.DataFrame(index=units.index)
    for name in ("area", "dispute_type", "counterpart", "unit"):
        if name in units:
            out[name] = units[name].astype(object).where(units[name].notna(), "missing").astype(str)
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
    scored = {"model": Scored(proba, tiers), **(baselines or {})}

    metrics: dict[str, float] = {}
    for name, s in scored.items():
        head = prefix if name == "model" else f"{prefix}_{name}"
        metrics.update(_prefixed(probability_metrics(y, s.proba), head))
        metrics.update(_prefixed(tier_metrics(y, s.tiers), f"{head}_tier"))
    if "assessed_tier" in units and units["assessed_tier"].notna().any():
        metrics.update(_prefixed(agreement(tiers, units["assessed_tier"]), f"{prefix}_assessed"))

    sets = model.conformal.predict_sets(proba)
    coverage = float(sets[np.arange(y.size), y].mean())
    metrics[f"{prefix}_conformal_coverage"] = coverage
    metrics[f"{prefix}_conformal_review_share"] = float((sets.sum(axis=1) > 1).mean())
    metrics[f"{prefix}_model_red_share_before_floors"] = float(
        (frame["model_tier"] == "red").mean()
    )
    metrics[f"{prefix}_n_units"] = float(y.size)
    for rank, tier in enumerate(TIERS):
        metrics[f"{prefix}_label_rate_{tier}"] = float((y == rank).mean())

    groups = subgroup_columns(units, grid_group)
    table = subgroup_table(groups, y, proba, tiers)
    min_units, min_red = fairness_minimums()
    metrics.update(_prefixed(fairness_gaps(table, min_units, min_red), f"{prefix}_fairness"))
    return Evaluation(metrics, table, scored, coverage)


FAIRNESS_METRICS = ("auroc_red", "observed_expected_red", "fnr_red")


def fairness_gaps(table: pd.DataFrame, min_units: int = 500, min_red: int = 20) -> dict[str, float]:
    """The worst absolute gap to all units, per metric, over subgroups large enough to
    measure (at least ``min_units`` units and ``min_red`` red ones); 0 when none is."""
    rows = table[(table["group"] != "all") & (table["n"] >= min_units)]
    if "n_red" in rows:
        rows = rows[rows["n_red"] >= min_red]
    out = {}
    for metric in FAIRNESS_METRICS:
        gaps = rows[f"{metric}_gap"].abs().dropna()
        out[f"worst_gap_{metric}"] = float(gaps.max()) if len(gaps) else 0.0
    out["groups_measured"] = float(len(rows))
    return out


def _prefixed(values: dict[str, float], prefix: str) -> dict[str, float]:
    return {f"{prefix}_{k}": float(v) for k, v in values.items()}
