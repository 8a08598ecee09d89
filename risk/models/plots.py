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
_BLUE = "#1565c0"
_FIGURE_TITLES = {
    "auroc_red": "red AUROC",
    "observed_expected_red": "red observed / expected",
    "citl_red": "red calibration in the large",
    "fnr_red": "red false-negative rate",
}


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
    """Each subgroup's gap to all units with its 95% interval, one panel per figure.

    ``table`` is a subgroup audit (:func:`risk.fairness.audit`). Measured subgroups are
    dots with error bars; a subgroup with insufficient evidence is a hollow grey circle
    without a bar (not judged), an arrow at the edge when it lies beyond the measured
    ones' range; a figure undefined on a subgroup is left out.
    """
    from risk.fairness import MEASURED

    subgroups = table.drop_duplicates(["group", "value"])[["group", "value", "n", "n_red"]]
    labels = [f"{r.group} = {r.value} ({r.n}, {r.n_red} red)" for r in subgroups.itertuples()]
    keys = zip(subgroups["group"], subgroups["value"], strict=True)
    where = {key: i for i, key in enumerate(keys)}
    metrics = [m for m in _FIGURE_TITLES if m in set(table["metric"])]
    fig, axes = plt.subplots(
        1,
        max(len(metrics), 1),
        figsize=(14, max(3.5, 0.28 * len(labels) + 1.6)),
        sharey=True,
        squeeze=False,
    )
    for ax, metric in zip(axes[0], metrics, strict=False):
        rows = table[(table["metric"] == metric) & table["gap"].notna()]
        keys = zip(rows["group"], rows["value"], strict=True)
        y = np.array([where[key] for key in keys], float)
        measured = (rows["status"] == MEASURED).to_numpy()
        gap = rows["gap"].to_numpy(float)
        low = (gap - rows["gap_low"].to_numpy(float)).clip(min=0)
        high = (rows["gap_high"].to_numpy(float) - gap).clip(min=0)
        bars = measured & np.isfinite(low) & np.isfinite(high)
        # the axis is scaled to the measured subgroups: an unjudged one far out (a tiny
        # subgroup's O/E of 40) sits at the edge as an arrow rather than squash the rest
        span = np.concatenate([[0.0], gap[measured], (gap - low)[bars], (gap + high)[bars]])
        left, right = float(np.nanmin(span)), float(np.nanmax(span))
        pad = 0.08 * (right - left) if right > left else 0.1
        left, right = left - pad, right + pad
        far_left, far_right = gap < left, gap > right
        inside = ~measured & ~far_left & ~far_right
        if bars.any():
            ax.errorbar(
                gap[bars], y[bars], xerr=[low[bars], high[bars]], fmt="o", color=_BLUE, capsize=2
            )
        points = [
            (gap, measured & ~bars, {"marker": "o", "color": _BLUE}),
            (gap, inside, {"marker": "o", "mfc": "none", "color": "grey"}),
            (np.full(gap.size, left), far_left, {"marker": "<", "mfc": "none", "color": "grey"}),
            (np.full(gap.size, right), far_right, {"marker": ">", "mfc": "none", "color": "grey"}),
        ]
        for x, which, style in points:
            if which.any():  # an empty line would stretch the tight layout to the origin
                ax.plot(x[which], y[which], ls="none", clip_on=False, **style)
        if measured.any():
            ax.set_xlim(left, right)
        ax.axvline(0, color="black", lw=0.8)
        ax.set_title(f"{_FIGURE_TITLES[metric]}\ngap to all units", fontsize=9)
        ax.set_xlabel("gap")
        ax.grid(axis="x", alpha=0.3)
    if labels:
        axes[0][0].set_yticks(range(len(labels)), labels, fontsize=7)
        axes[0][0].set_ylim(len(labels) - 0.5, -0.5)
    else:
        axes[0][0].text(0.5, 0.5, "no subgroups", ha="center")
    fig.suptitle(
        "subgroups: gap with its 95% interval; hollow grey = insufficient evidence (not judged)",
        fontsize=9,
    )
    return _save(fig, path)
