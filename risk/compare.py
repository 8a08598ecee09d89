"""Two models on the same held-out units: how much worse one is, with a paired interval.

The promotion gate compares a candidate with the champion on the candidate's test period.
A test period holds a few hundred red events at city scale and a few dozen in a county,
so a difference of 0.005 AUROC or 0.002 in the green tier's red rate is well inside what
drawing other units would change. :func:`shortfalls` gives each gate figure's
*shortfall* (how much worse the candidate is: the champion's figure minus the
candidate's where higher is better, the candidate's minus the champion's where lower is,
``|candidate| − |champion|`` where zero is) with a 95% interval from a paired bootstrap:
every replicate draws units (within each decision) and measures both models on the same
draw, so what the two share (which units were hard) cancels out of the difference.

Figures are the ones :func:`risk.evaluate.evaluate` logs, from the same functions:
:func:`~risk.models.metrics.probability_metrics` and
:func:`~risk.models.metrics.tier_metrics` per decision, and the subgroup figures of
:mod:`risk.fairness` over the subgroups the full test period measures (the set held fixed
across replicates, as a worst gap over a changing set would measure the set).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from risk.fairness import FIGURES, MEASURED
from risk.models.metrics import probability_metrics, tier_metrics
from risk.models.tiers import tier_codes
from risk.registry import shortfall

__all__ = ["Shortfall", "shortfalls"]

#: The gate's fairness figures (``{prefix}_{decision}_fairness_<name>``) and the subgroup
#: figure each is the worst of: a gap to all units, or a grid group's own figure.
_WORST = {
    "worst_gap_auroc_red": ("auroc_red", "gap", None),
    "worst_gap_observed_expected_red": ("observed_expected_red", "gap", None),
    "worst_gap_fnr_red": ("fnr_red", "gap", None),
    "worst_citl_red_grid_group": ("citl_red", "figure", "grid_group"),
}


@dataclass(frozen=True)
class Shortfall:
    """How much worse the candidate is on one figure (negative: better), and the 95%
    interval of that difference over paired replicates (NaN where undefined)."""

    point: float
    low: float
    high: float


def shortfalls(
    rules: dict[str, tuple[str, float]],
    y: Any,
    decisions: np.ndarray,
    groups: pd.DataFrame,
    audit: pd.DataFrame,
    candidate: tuple[np.ndarray, np.ndarray],
    champion: tuple[np.ndarray, np.ndarray],
    *,
    prefix: str = "test",
    n_boot: int = 200,
    seed: int = 0,
) -> dict[str, Shortfall]:
    """Each gate metric's shortfall with its paired-bootstrap interval.

    ``candidate`` and ``champion`` are ``(proba (n, 3), tier names)`` on the same units,
    labelled ``y``, of ``decisions`` (names); ``groups`` are the units' subgroup columns
    and ``audit`` the evaluation's subgroup table (with its ``decision`` column), whose
    measured subgroups are the ones a worst figure ranges over. Gate metrics of a decision
    these units do not hold are left out. An interval is NaN when the figure is undefined
    in more than a tenth of the replicates.
    """
    y = tier_codes(y)
    decisions = np.asarray(decisions).astype(str)
    models = [
        (np.asarray(p, np.float64), np.asarray(t).astype(str)) for p, t in (candidate, champion)
    ]
    wanted = _parse(rules, prefix, set(decisions))
    rows_of = {d: np.flatnonzero(decisions == d) for d in sorted({d for d, _ in wanted.values()})}
    columns = {c: groups[c].astype(str).to_numpy() for c in groups.columns}
    members = _measured(audit)

    def measure(draw: dict[str, np.ndarray]) -> dict[str, float]:
        out = {}
        for decision, rows in draw.items():
            cut = [(c, columns[c][rows] == v) for c, v in members.get(decision, ())]
            new, old = (_figures(y[rows], p[rows], t[rows], cut) for p, t in models)
            for key, (d, name) in wanted.items():
                if d == decision:
                    out[key] = shortfall(
                        rules[key][0], new.get(name, np.nan), old.get(name, np.nan)
                    )
        return out

    point = measure(rows_of)
    rng = np.random.default_rng(seed)
    draws = [
        measure({d: rng.choice(rows, rows.size) for d, rows in rows_of.items()})
        for _ in range(max(n_boot, 0))
    ]
    out = {}
    for key, value in point.items():
        values = np.array([draw[key] for draw in draws], np.float64)
        values = values[np.isfinite(values)]
        enough = n_boot > 1 and values.size >= 0.9 * n_boot
        out[key] = Shortfall(
            value,
            float(np.quantile(values, 0.025)) if enough else np.nan,
            float(np.quantile(values, 0.975)) if enough else np.nan,
        )
    return out


def _parse(
    rules: dict[str, tuple[str, float]], prefix: str, decisions: set[str]
) -> dict[str, tuple[str, str]]:
    """Gate metric → (decision, figure name) for the decisions these units hold."""
    out = {}
    for metric in rules:
        for decision in decisions:
            head = f"{prefix}_{decision}_"
            if metric.startswith(head):
                out[metric] = (decision, metric.removeprefix(head))
    return out


def _measured(audit: pd.DataFrame) -> dict[str, list[tuple[str, str]]]:
    """Per decision, its measured subgroups as (grouping column, value)."""
    if audit.empty:
        return {}
    rows = audit[audit["status"] == MEASURED].drop_duplicates(["decision", "group", "value"])
    out: dict[str, list[tuple[str, str]]] = {}
    for r in rows.itertuples():
        out.setdefault(str(r.decision), []).append((str(r.group), str(r.value)))
    return out


def _figures(
    y: np.ndarray, proba: np.ndarray, tiers: np.ndarray, cut: list[tuple[str, np.ndarray]]
) -> dict[str, float]:
    """One model's gate figures on one draw of a decision's units; ``cut`` holds the
    measured subgroups' masks, by grouping column."""
    out = dict(probability_metrics(y, proba))
    out.update({f"tier_{k}": v for k, v in tier_metrics(y, tiers).items()})
    if not cut:
        return out
    is_red = (y == 2).astype(int)
    tier_red = (tier_codes(tiers) == 2).astype(int)
    p_red = proba[:, 2]
    everyone = {m: _subgroup_figure(m, is_red, p_red, tier_red) for m in FIGURES}
    worst: dict[str, float] = {}
    for column, inside in cut:
        for name, (metric, kind, only) in _WORST.items():
            if only is not None and column != only:
                continue
            figure = _subgroup_figure(metric, is_red[inside], p_red[inside], tier_red[inside])
            size = abs(figure - everyone[metric]) if kind == "gap" else abs(figure)
            if np.isfinite(size):
                worst[name] = max(worst.get(name, 0.0), size)
    out.update({f"fairness_{k}": v for k, v in worst.items()})
    return out


def _subgroup_figure(
    metric: str, is_red: np.ndarray, p_red: np.ndarray, tier_red: np.ndarray
) -> float:
    """A :data:`risk.fairness.FIGURES` figure (NaN on no units)."""
    if not is_red.size:
        return float("nan")
    figure = FIGURES[metric]
    return float(figure(is_red, p_red, tier_red) if metric == "fnr_red" else figure(is_red, p_red))
