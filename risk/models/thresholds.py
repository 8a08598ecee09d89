"""Choosing one decision's two thresholds on its calibration units.

Capacity always holds: no more than ``max_red_share`` of the units red and no more than
``max_yellow_or_red_share`` yellow or red (the floors count towards both). Capacity is a
property of the inflow, not of outcomes, so it is measured on the decision's latest units
(the ``capacity`` units: see :func:`risk.dataset.capacity_units`), whose outcomes need not
be known yet; without them, on the calibration units. Within it,
``t_red`` is the highest cut-off (never below ``min_red_probability``) whose red recall
meets the target, else the lowest cut-off capacity allows; ``t_yellow`` likewise the
highest cut-off at which green stays safe and yellow-or-red recall meets its target.
When the calibration units hold fewer than ``min_events`` events of a class, a recall or
a rate measured on them means nothing: capacity alone places that threshold, and the
choice carries a note saying so.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from risk.errors import ModelError
from risk.i18n import both
from risk.models.policy import DecisionPolicy, Thresholds
from risk.models.tiers import policy_ranks

__all__ = ["Scores", "ThresholdChoice", "choose_thresholds"]

_EPS = 1e-12


@dataclass(frozen=True)
class ThresholdChoice:
    """The chosen thresholds and what they achieve on the units they were chosen on."""

    thresholds: Thresholds
    red_recall: float
    red_share: float
    yellow_or_red_share: float
    green_red_rate: float
    yellow_or_red_recall: float
    n_units: int
    n_red: int
    n_yellow_or_red: int
    #: How many units the capacity shares were measured on.
    n_capacity: int
    #: Per target: met, missed, or None where its figure is undefined (no events).
    targets_met: dict[str, bool | None]
    notes: dict[str, tuple[str, str]] = field(default_factory=dict)

    def as_metrics(self, prefix: str = "policy_") -> dict[str, float]:
        out = {
            f"{prefix}t_red": self.thresholds.red,
            f"{prefix}t_yellow": self.thresholds.yellow,
            f"{prefix}red_recall": self.red_recall,
            f"{prefix}red_share": self.red_share,
            f"{prefix}yellow_or_red_share": self.yellow_or_red_share,
            f"{prefix}green_red_rate": self.green_red_rate,
            f"{prefix}yellow_or_red_recall": self.yellow_or_red_recall,
            f"{prefix}n_red": float(self.n_red),
        }
        out.update(
            {f"{prefix}met_{k}": float(v) for k, v in self.targets_met.items() if v is not None}
        )
        return out

    @property
    def missed(self) -> list[str]:
        """The targets not met, by name."""
        return [k for k, ok in self.targets_met.items() if ok is False]


def _candidates(p: np.ndarray) -> np.ndarray:
    """Cut-offs to try, highest first: every distinct probability, thinned to ≤ 4,000."""
    values = np.unique(p)
    if values.size > 4000:
        values = np.unique(np.quantile(p, np.linspace(0.0, 1.0, 4001), method="lower"))
    return np.append(values[::-1], 0.0)


@dataclass(frozen=True)
class Scores:
    """Calibrated P(red), P(yellow or red) and floor ranks of a set of units."""

    p_red: np.ndarray
    p_yellow_or_red: np.ndarray
    floors: np.ndarray

    @classmethod
    def of(cls, p_red: np.ndarray, p_yellow_or_red: np.ndarray, floors: np.ndarray) -> Scores:
        red = np.asarray(p_red, np.float64)
        yellow_or_red = np.maximum(np.asarray(p_yellow_or_red, np.float64), red)
        return cls(red, yellow_or_red, np.asarray(floors))

    def __len__(self) -> int:
        return int(self.p_red.size)


def choose_thresholds(
    p_red: np.ndarray,
    p_yellow_or_red: np.ndarray,
    labels: np.ndarray,
    floors: np.ndarray,
    policy: DecisionPolicy,
    *,
    decision: str = "",
    capacity: Scores | None = None,
) -> ThresholdChoice:
    """Thresholds for calibrated probabilities, label ranks (0/1/2) and floor ranks of the
    calibration units; the capacity shares on ``capacity`` (default: the same units)."""
    scores = Scores.of(p_red, p_yellow_or_red, floors)
    p_red, p_yr, floors = scores.p_red, scores.p_yellow_or_red, scores.floors
    labels = np.asarray(labels)
    n = labels.size
    if n == 0 or not (p_red.size == p_yr.size == floors.size == n):
        raise ModelError(f"choose_thresholds {decision}: empty or mismatched inputs")
    inflow = capacity if capacity is not None and len(capacity) else scores
    targets = policy.targets
    is_red, is_yr = labels == 2, labels >= 1
    n_red, n_yr = int(is_red.sum()), int(is_yr.sum())
    notes: dict[str, tuple[str, str]] = {}

    red_cuts = _candidates(np.concatenate([p_red, inflow.p_red]))
    _, red_share = _tiered_share(inflow.p_red, inflow.floors >= 2, red_cuts)
    red_recall = _recall(p_red, floors >= 2, is_red, red_cuts)
    fits = (red_share <= targets.max_red_share + _EPS) & (red_cuts >= policy.min_red_probability)
    if n_red >= policy.min_events:
        t_red = _pick(red_cuts, fits, red_recall >= targets.red_recall)
    else:
        t_red = _pick(red_cuts, fits, np.zeros_like(fits))
        notes["red"] = both("few_red_events", n=n_red, need=policy.min_events)
    # Green units for a yellow cut: not red, not floored to yellow, P(yellow or red) < cut.
    yellow_cuts = _candidates(np.concatenate([p_yr, inflow.p_yellow_or_red]))
    green, (green_red, green_yr) = _greens(scores, t_red, yellow_cuts, is_red, is_yr)
    yr_share = 1.0 - _greens(inflow, t_red, yellow_cuts)[0] / len(inflow)
    fits_y = yr_share <= targets.max_yellow_or_red_share + _EPS
    if n_red >= policy.min_events and n_yr >= policy.min_events:
        rate = np.divide(green_red, green, out=np.zeros(yellow_cuts.size), where=green > 0)
        safe = rate <= targets.max_green_red_rate + _EPS
        recall = 1.0 - green_yr / max(n_yr, 1)
        t_yellow = _pick(yellow_cuts, fits_y, safe & (recall >= targets.yellow_or_red_recall))
    else:
        t_yellow = _pick(yellow_cuts, fits_y, np.zeros_like(fits_y))
        notes["yellow"] = both("few_yellow_events", n=n_red, m=n_yr, need=policy.min_events)
    t_yellow = max(t_yellow, 0.0)

    ranks = policy_ranks(p_red, p_yr, t_red, t_yellow, floors)
    tiered_red, tiered_green = ranks == 2, ranks == 0
    inflow_ranks = policy_ranks(
        inflow.p_red, inflow.p_yellow_or_red, t_red, t_yellow, inflow.floors
    )
    achieved = {
        "red_recall": float(tiered_red[is_red].mean()) if n_red else float("nan"),
        "red_share": float((inflow_ranks == 2).mean()),
        "yellow_or_red_share": float((inflow_ranks > 0).mean()),
        "green_red_rate": float(is_red[tiered_green].mean()) if tiered_green.any() else 0.0,
        "yellow_or_red_recall": float((~tiered_green)[is_yr].mean()) if n_yr else float("nan"),
    }
    met = targets.judge(**achieved)
    return ThresholdChoice(
        Thresholds(red=float(t_red), yellow=float(t_yellow)),
        achieved["red_recall"],
        achieved["red_share"],
        achieved["yellow_or_red_share"],
        achieved["green_red_rate"],
        achieved["yellow_or_red_recall"],
        n,
        n_red,
        n_yr,
        len(inflow),
        met,
        notes,
    )


def _greens(
    units: Scores, t_red: float, cuts: np.ndarray, *marks: np.ndarray
) -> tuple[np.ndarray, list[np.ndarray]]:
    """For each yellow cut: how many units would be green (not red, not floored to yellow,
    P(yellow or red) below the cut), and how many of them carry each of ``marks``."""
    eligible = (units.p_red < t_red) & (units.floors < 1)
    order = np.argsort(units.p_yellow_or_red, kind="stable")
    k = np.searchsorted(units.p_yellow_or_red[order], cuts, side="left")

    def below(mask: np.ndarray) -> np.ndarray:
        return np.concatenate([[0], np.cumsum(mask[order])])[k]

    return below(eligible), [below(eligible & m) for m in marks]


def _tiered_share(
    p: np.ndarray, floored: np.ndarray, cuts: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """For each cut (descending): the share of units floored or with p ≥ cut."""
    order = np.argsort(-p, kind="stable")
    k = np.searchsorted(-p[order], -cuts, side="right")
    new = np.concatenate([[0], np.cumsum(~floored[order])])[k]
    return cuts, (floored.sum() + new) / p.size


def _recall(
    p: np.ndarray, floored: np.ndarray, positive: np.ndarray, cuts: np.ndarray
) -> np.ndarray:
    order = np.argsort(-p, kind="stable")
    k = np.searchsorted(-p[order], -cuts, side="right")
    hits = np.concatenate([[0], np.cumsum((positive & ~floored)[order])])[k]
    n_pos = max(int(positive.sum()), 1)
    return ((positive & floored).sum() + hits) / n_pos


def _pick(cuts: np.ndarray, fits: np.ndarray, meets: np.ndarray) -> float:
    """The highest fitting cut that meets the target, else the lowest fitting cut (as many
    as capacity allows); 1.0 (the model adds none) when no cut fits."""
    good = fits & meets
    if good.any():
        return float(cuts[np.argmax(good)])
    if fits.any():
        return float(cuts[np.flatnonzero(fits)[-1]])
    return 1.0
