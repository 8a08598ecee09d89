"""Evaluation plots written as PNG files (matplotlib, no screen needed)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.metrics import precision_recall_curve, roc_curve

from risk.models.tiers import TIERS

__all__ = ["calibration_plot", "roc_pr_plot", "subgroup_plot", "tier_mix_plot"]

_COLOURS = {"green": "#2e7d32", "yellow": "#f9a825", "red": "#c62828"}


def _save(fig: plt.Figure, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def calibration_plot(y: np.ndarray, proba: np.ndarray, path: Path, bins: int = 10) -> Path:
    """Reliability diagram per tier: mean predicted vs observed rate in quantile bins."""
    fig, axes = plt.subplots(1, 3, figsize=(12, 4))
    for i, (ax, tier) in enumerate(zip(axes, TIERS, strict=True)):
        p, hit = proba[:, i], (np.asarray(y) == i)
        edges = np.unique(np.quantile(p, np.linspace(0, 1, bins + 1)))
        which = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, max(len(edges) - 2, 0))
        mean_p = pd.Series(p).groupby(which).mean()
        rate = pd.Series(hit).groupby(which).mean()
        top = max(float(mean_p.max()), float(rate.max()), 1e-3)
        ax.plot([0, top], [0, top], "--", color="grey", lw=1)
        ax.plot(mean_p, rate, "o-", color=_COLOURS[tier])
        ax.set(title=f"calibration: {tier}", xlabel="predicted", ylabel="observed")
    return _save(fig, path)


def roc_pr_plot(y: np.ndarray, probas: dict[str, np.ndarray], path: Path) -> Path:
    """ROC and precision-recall curves for red, one line per scorer."""
    positive = np.asarray(y) == 2
    fig, (roc, pr) = plt.subplots(1, 2, figsize=(10, 4))
    for name, proba in probas.items():
        fpr, tpr, _ = roc_curve(positive, proba[:, 2])
        precision, recall, _ = precision_recall_curve(positive, proba[:, 2])
        roc.plot(fpr, tpr, label=name)
        pr.plot(recall, precision, label=name)
    roc.plot([0, 1], [0, 1], "--", color="grey", lw=1)
    roc.set(title="ROC, red", xlabel="false positive rate", ylabel="true positive rate")
    pr.set(title="precision-recall, red", xlabel="recall", ylabel="precision")
    roc.legend()
    return _save(fig, path)


def tier_mix_plot(tiers: dict[str, np.ndarray], path: Path) -> Path:
    """Share of units in each tier, per scorer."""
    fig, ax = plt.subplots(figsize=(6, 4))
    names = list(tiers)
    left = np.zeros(len(names))
    for tier in TIERS:
        share = np.array([(np.asarray(tiers[n]) == tier).mean() for n in names])
        ax.barh(names, share, left=left, color=_COLOURS[tier], label=tier)
        left += share
    ax.set(title="tier mix", xlabel="share of units", xlim=(0, 1))
    ax.legend(loc="lower right")
    return _save(fig, path)


def subgroup_plot(table: pd.DataFrame, path: Path) -> Path:
    """The subgroup table as an image (n, red AUROC, observed/expected, red share, FNR)."""
    shown = table[
        ["group", "value", "n", "auroc_red", "observed_expected_red", "red_share", "fnr_red"]
    ]
    text = [
        [f"{v:.3f}" if isinstance(v, float) else str(v) for v in row]
        for row in shown.itertuples(index=False)
    ]
    fig, ax = plt.subplots(figsize=(10, 0.3 * len(text) + 1))
    ax.axis("off")
    ax.table(cellText=text, colLabels=list(shown.columns), loc="center").auto_set_font_size(True)
    return _save(fig, path)
