"""Choosing the two thresholds on the calibration period to meet the policy's targets.

The floors are applied first, so a threshold only has to find the units the floors miss.
``t_red`` is the highest cut-off whose red recall meets the target (fewest visits that
catch enough); when the visit capacity (``max_red_share``) cannot hold that many, capacity
wins and the shortfall is reported. ``t_yellow`` is then the highest cut-off at which
green stays safe (few green units end red) and yellow-or-red recall meets its target.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from risk.errors import ModelError
from risk.models.policy import Targets, Thresholds

__all__ = ["ThresholdChoice", "choose_thresholds"]


@dataclass(frozen=True)
class ThresholdChoice:
    """The chosen thresholds and what they achieve on the data they were chosen on."""

    thresholds: Thresholds
    red_recall: float
    red_share: float
    green_red_rate: float
    yellow_or_red_recall: float
    targets_met: dict[str, bool]

    def as_metrics(self, prefix: str = "policy_") -> dict[str, float]:
        out = {
            f"{prefix}t_red": self.thresholds.red,
            f"{prefix}t_yellow": self.thresholds.yellow,
            f"{prefix}red_recall": self.red_recall,
            f"{prefix}red_share": self.red_share,
            f"{prefix}green_red_rate": self.green_red_rate,
            f"{prefix}yellow_or_red_recall": self.yellow_or_red_recall,
        }
        out.update({f"{prefix}met_{k}": float(v) for k, v in self.targets_met.items()})
        return out


def _candidates(p: np.ndarray) -> np.ndarray:
    """Cut-offs to try, highest first: every distinct probability, thinned to ≤ 4,000."""
    values = np.unique(p)
    if values.size > 4000:
        values = np.unique(np.quantile(p, np.linspace(0.0, 1.0, 4001), method="lower"))
    return np.append(values[::-1], 0.0)


def choose_thresholds(
    p_red: np.ndarray,
    p_yellow_or_red: np.ndarray,
    labels: np.ndarray,
    floors: np.ndarray,
    targets: Targets,
) -> ThresholdChoice:
    """Thresholds for calibrated probabilities, label ranks (0/1/2) and floor ranks."""
    p_red = np.asarray(p_red, np.float64)
    p_yr = np.maximum(np.asarray(p_yellow_or_red, np.float64), p_red)
    labels = np.asarray(labels)
    floors = np.asarray(floors)
    n = labels.size
    if n == 0 or not (p_red.size == p_yr.size == floors.size == n):
        raise ModelError("choose_thresholds: empty or mismatched inputs")
    is_red = labels == 2
    if not is_red.any():
        raise ModelError("choose_thresholds: no red units in the calibration period")

    t_red = _choose_red(p_red, is_red, floors >= 2, targets)
    red = (p_red >= t_red) | (floors >= 2)
    t_yellow = _choose_yellow(p_yr, labels, red, floors >= 1, targets)
    green = ~red & (p_yr < t_yellow) & (floors < 1)

    red_recall = float(red[is_red].mean())
    red_share = float(red.mean())
    green_red_rate = float(is_red[green].mean()) if green.any() else 0.0
    yr = labels >= 1
    yr_recall = float((~green)[yr].mean()) if yr.any() else 1.0
    met = {
        "red_recall": red_recall >= targets.red_recall,
        "max_red_share": red_share <= targets.max_red_share + 1e-12,
        "max_green_red_rate": green_red_rate <= targets.max_green_red_rate + 1e-12,
        "yellow_or_red_recall": yr_recall >= targets.yellow_or_red_recall,
    }
    return ThresholdChoice(
        Thresholds(red=float(t_red), yellow=float(t_yellow)),
        red_recall,
        red_share,
        green_red_rate,
        yr_recall,
        met,
    )


def _choose_red(p: np.ndarray, is_red: np.ndarray, floored: np.ndarray, targets: Targets) -> float:
    cuts = _candidates(p)
    # For each cut (descending), units tiered red are the floored ones plus p ≥ cut.
    order = np.argsort(-p, kind="stable")
    p_sorted, red_sorted, floor_sorted = p[order], is_red[order], floored[order]
    k = np.searchsorted(-p_sorted, -cuts, side="right")  # units with p ≥ cut
    new_red = np.concatenate([[0], np.cumsum(~floor_sorted)])[k]
    new_hits = np.concatenate([[0], np.cumsum(red_sorted & ~floor_sorted)])[k]
    n, n_red = p.size, is_red.sum()
    recall = (is_red & floored).sum() / n_red + new_hits / n_red
    share = (floored.sum() + new_red) / n
    fits = share <= targets.max_red_share + 1e-12
    meets = (recall >= targets.red_recall) & fits
    if meets.any():
        return float(cuts[np.argmax(meets)])
    # Capacity binds: the lowest cut that still fits (catch as many as capacity allows).
    if fits.any():
        return float(cuts[np.flatnonzero(fits)[-1]])
    return 1.0  # floors alone exceed capacity: the model adds none (p < 1 in practice)


def _choose_yellow(
    p: np.ndarray, labels: np.ndarray, red: np.ndarray, floored: np.ndarray, targets: Targets
) -> float:
    cuts = _candidates(p)
    # Green units for a cut: not red, not floored to yellow, p < cut.
    eligible = ~red & ~floored
    order = np.argsort(p, kind="stable")
    p_sorted, elig_sorted = p[order], eligible[order]
    lab_sorted = labels[order]
    k = np.searchsorted(p_sorted, cuts, side="left")  # units with p < cut
    green = np.concatenate([[0], np.cumsum(elig_sorted)])[k]
    green_red = np.concatenate([[0], np.cumsum(elig_sorted & (lab_sorted == 2))])[k]
    green_yr = np.concatenate([[0], np.cumsum(elig_sorted & (lab_sorted >= 1))])[k]
    n_yr = max(int((labels >= 1).sum()), 1)
    rate = np.divide(green_red, green, out=np.zeros(cuts.size), where=green > 0)
    recall = 1.0 - green_yr / n_yr
    meets = (rate <= targets.max_green_red_rate + 1e-12) & (recall >= targets.yellow_or_red_recall)
    return float(cuts[np.argmax(meets)])  # the last cut (0: no green) always meets
