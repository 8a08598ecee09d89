"""Split-conformal prediction sets over the three tiers (the LAC score).

On the calibration period the score of a unit is ``1 − p(its true tier)``; ``qhat`` is the
``⌈(n+1)·coverage⌉``-th smallest score (the finite-sample-corrected quantile
``⌈(n+1)·coverage⌉/n``). A new unit's set holds every tier with ``1 − p ≤ qhat`` (to
within 1e-8, as MAPIE compares), which covers the true tier with probability ≥ coverage
when units are exchangeable. MAPIE's ``SplitConformalClassifier`` with
``conformity_score="lac"`` gives the same sets (a test checks this); this class is the
same arithmetic without the estimator wrapper, so one unit costs three comparisons.

A set may be empty: no tier is probable enough at this coverage. It is not filled with
the most probable tier, which would overshoot the coverage and hide that the model is
unsure; an empty set is as much a reason to look again as a set of several tiers.

The guarantee is marginal: when nearly every unit is green, sets of ``{green}`` alone can
reach 90% while yellow and red units are rarely covered. ``class_conditional=True``
(Mondrian conformal prediction) takes one ``qhat`` per true tier instead, so each tier's
units are covered at the level; it needs enough calibration units of every tier.
"""

from __future__ import annotations

import math

import numpy as np

from risk.errors import ModelError
from risk.models.tiers import TIERS, tier_codes

__all__ = ["SplitConformal", "coverage"]

#: Scores this close to the quantile count as inside it (float ties; MAPIE's EPSILON).
_TOLERANCE = 1e-8


def coverage(sets: np.ndarray, y_codes: np.ndarray) -> float:
    """The share of units whose true tier is in their set."""
    y = tier_codes(np.asarray(y_codes).ravel())
    sets = np.asarray(sets, bool)
    if sets.shape != (y.size, 3):
        raise ModelError(f"sets: expected ({y.size}, 3) for {y.size} labels, got {sets.shape}")
    return float(sets[np.arange(y.size), y].mean()) if y.size else float("nan")


def _order_statistic(scores: np.ndarray, level: float, what: str) -> float:
    n = scores.size
    rank = math.ceil((n + 1) * level)
    if rank > n:
        raise ModelError(
            f"{what}: {n} calibration units are too few for coverage {level}: "
            f"the ⌈(n+1)·coverage⌉ = {rank}-th score does not exist"
        )
    return float(np.partition(scores, rank - 1)[rank - 1])


class SplitConformal:
    """LAC prediction sets at ``coverage`` (e.g. 0.9) from calibrated probabilities."""

    def __init__(self, coverage: float = 0.9, class_conditional: bool = False) -> None:
        if not 0.0 < coverage < 1.0:
            raise ModelError(f"coverage: expected in (0, 1), got {coverage!r}")
        self.coverage = coverage
        self.class_conditional = class_conditional

    def fit(self, proba: np.ndarray, y_codes: np.ndarray) -> SplitConformal:
        """Learn ``qhat_`` (and ``qhats_``, one per tier) from calibration units."""
        y = tier_codes(np.asarray(y_codes).ravel())
        proba = np.asarray(proba, np.float64)
        if proba.shape != (y.size, 3) or y.size == 0:
            raise ModelError(f"proba: expected (n, 3) for {y.size} labels, got {proba.shape}")
        if not np.isfinite(proba).all():
            raise ModelError("proba: contains NaN or infinite values")
        scores = 1.0 - proba[np.arange(y.size), y]
        self.qhat_ = _order_statistic(scores, self.coverage, "calibration")
        if self.class_conditional:
            self.qhats_ = tuple(
                _order_statistic(scores[y == k], self.coverage, f"calibration, tier {t}")
                for k, t in enumerate(TIERS)
            )
        else:
            self.qhats_ = (self.qhat_,) * 3
        self.n_calibration_ = int(y.size)
        return self

    def _thresholds(self) -> tuple[float, ...]:
        q = getattr(self, "qhats_", None)
        if q is None and hasattr(self, "qhat_"):  # saved before per-tier thresholds existed
            q = self.qhats_ = (self.qhat_,) * 3
        if q is None:
            raise ModelError("SplitConformal: not fitted; call fit() on calibration units first")
        return q

    def predict_sets(self, proba: np.ndarray) -> np.ndarray:
        """Boolean ``(n, 3)``: which tiers are in each unit's set."""
        q = np.asarray(self._thresholds())
        proba = np.asarray(proba, np.float64)
        if proba.ndim != 2 or proba.shape[1] != 3:
            raise ModelError(f"proba: expected (n, 3), got {proba.shape}")
        return (1.0 - proba) - q <= _TOLERANCE

    def sets_one(self, p_green: float, p_yellow: float, p_red: float) -> tuple[str, ...]:
        """One unit's set as tier names, in tier order (pure Python, no array)."""
        q_green, q_yellow, q_red = self._thresholds()
        out: list[str] = []
        if (1.0 - p_green) - q_green <= _TOLERANCE:
            out.append("green")
        if (1.0 - p_yellow) - q_yellow <= _TOLERANCE:
            out.append("yellow")
        if (1.0 - p_red) - q_red <= _TOLERANCE:
            out.append("red")
        return tuple(out)

    @staticmethod
    def coverage_of(sets: np.ndarray, y_codes: np.ndarray) -> float:
        """The share of units whose true tier is in their set (same as :func:`coverage`)."""
        return coverage(sets, y_codes)
