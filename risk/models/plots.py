"""Evaluation plots written as PNG files (matplotlib's Agg backend, no screen needed).

Labels are English only: matplotlib's default fonts have no Chinese glyphs, and a
missing glyph would draw boxes (and warn) on a machine without a CJK font.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from sklearn.metrics import (
    average_precision_score,
    precision_recall_curve,
    roc_auc_score,
    roc_curve,
)

from risk.errors import ModelError
from risk.models.tiers import TIERS, tier_codes

__all__ = ["calibration_plot", "roc_pr_plot", "subgroup_plot", "tier_mix_plot"]

_COLOURS = {"green": "#2e7d32", "yellow": "#f9a825", "red": "#c62828"}
_TABLE_COLUMNS = ["group", "value", "n", "n_red", "auroc_red", "observed_expected_red"]
_TABLE_COLUMNS += ["red_share", "fnr_red", "fnr_red_gap"]


def _save(fig: Figure, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _labels_and(
    y: np.ndarray, proba: np.ndarray, name: str = "proba"
) -> tuple[np.ndarray, np.ndarray]:
    codes = tier_codes(np.asarray(y).ravel())
    p = np.asarray(proba, np.float64)
    if p.shape != (codes.size, 3):
        raise ModelError(
            f"{name}: expected ({codes.size}, 3) for {codes.size} labels, got {p.shape}"
        )
    return codes, p


def calibration_plot(y: np.ndarray, proba: np.ndarray, path: str | Path, bins: int = 10) -> Path:
    """Reliability diagram per tier: mean predicted vs observed rate in quantile bins."""
    codes, proba = _labels_and(y, proba)
    fig, axes = plt.subplots(1, 3, figsize=(12, 4))
    for i, (ax, tier) in enumerate(zip(axes, TIERS, strict=True)):
        p, hit = proba[:, i], (codes == i).astype(np.float64)
        edges = np.unique(np.quantile(p, np.linspace(0, 1, bins + 1)))
        which = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, max(len(edges) - 2, 0))
        mean_p = pd.Series(p).groupby(which).mean()
        rate = pd.Series(hit).groupby(which).mean()
        top = max(float(mean_p.max()), float(rate.max()), 1e-3) * 1.05
        ax.plot([0, top], [0, top], "--", color="grey", lw=1, label="perfect")
        ax.plot(mean_p, rate, "o-", color=_COLOURS[tier], label="model")
        ax.locator_params(nbins=5)
        ax.set(
            title=f"calibration: {tier}\nmean P {p.mean():.4f}, observed rate {hit.mean():.4f}",
            xlabel=f"predicted P({tier})",
            ylabel="observed rate",
            xlim=(0, top),
            ylim=(0, top),
        )
        ax.legend(loc="upper left", fontsize="small")
    return _save(fig, path)


def roc_pr_plot(y: np.ndarray, probas: dict[str, np.ndarray], path: str | Path) -> Path:
    """ROC and precision-recall curves for red and for yellow-or-red, one line per scorer.

    ``probas`` maps a scorer's name (model, checklist, logistic, oracle...) to its
    ``(n, 3)`` probabilities; the legend gives each one's AUROC and average precision.
    """
    codes = tier_codes(np.asarray(y).ravel())
    targets = {"red": codes == 2, "yellow or red": codes >= 1}
    fig, axes = plt.subplots(2, 2, figsize=(10, 8))
    for row, (target, positive) in zip(axes, targets.items(), strict=True):
        roc, pr = row
        if positive.all() or not positive.any():
            for ax in row:
                ax.text(0.5, 0.5, f"one class only: no {target} curve", ha="center")
        else:
            for name, proba in probas.items():
                _, p = _labels_and(codes, proba, f"probas[{name!r}]")
                score = p[:, 2] if target == "red" else 1.0 - p[:, 0]
                fpr, tpr, _ = roc_curve(positive, score)
                precision, recall, _ = precision_recall_curve(positive, score)
                roc.plot(fpr, tpr, label=f"{name} (AUROC {roc_auc_score(positive, score):.3f})")
                ap = average_precision_score(positive, score)
                pr.plot(recall, precision, label=f"{name} (AP {ap:.3f})")
            pr.axhline(positive.mean(), ls="--", color="grey", lw=1, label="base rate")
            roc.legend(loc="lower right", fontsize="small")
            pr.legend(loc="upper right", fontsize="small")
        roc.plot([0, 1], [0, 1], "--", color="grey", lw=1)
        roc.set(title=f"ROC: {target}", xlabel="false positive rate", ylabel="true positive rate")
        pr.set(title=f"precision-recall: {target}", xlabel="recall", ylabel="precision")
    return _save(fig, path)


def tier_mix_plot(tiers: dict[str, np.ndarray], path: str | Path) -> Path:
    """Share of units in each tier, one stacked bar per scorer (or per label set)."""
    names = list(tiers)
    fig, ax = plt.subplots(figsize=(8, 1.4 + 0.5 * len(names)))
    left = np.zeros(len(names))
    for rank, tier in enumerate(TIERS):
        share = np.array([(tier_codes(np.asarray(tiers[n]).ravel()) == rank).mean() for n in names])
        bars = ax.barh(names, share, left=left, color=_COLOURS[tier], label=tier)
        ax.bar_label(bars, [f"{s:.1%}" if s >= 0.04 else "" for s in share], label_type="center")
        left += share
    ax.set(title="tier mix", xlabel="share of units", xlim=(0, 1))
    ax.invert_yaxis()
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    return _save(fig, path)


def subgroup_plot(table: pd.DataFrame, path: str | Path) -> Path:
    """The subgroup table (:func:`risk.models.metrics.subgroup_table`) as an image."""
    shown = table[[c for c in _TABLE_COLUMNS if c in table]]
    text = [[_cell(v) for v in row] for row in shown.itertuples(index=False)]
    fig, ax = plt.subplots(figsize=(12, 0.3 * len(text) + 1))
    ax.axis("off")
    if text:
        grid = ax.table(cellText=text, colLabels=list(shown.columns), loc="center")
        grid.auto_set_font_size(False)
        grid.set_fontsize(8)
    ax.set_title("subgroups: red figures and the gap of missed red to all units")
    return _save(fig, path)


def _cell(value: object) -> str:
    if isinstance(value, float | np.floating):
        return "–" if np.isnan(value) else f"{value:.3f}"
    return str(value)
