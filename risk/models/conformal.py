"""Split-conformal prediction sets over the three tiers (the LAC score).

On the calibration period the score of a unit is ``1 − p(its true tier)``; ``qhat`` is the
``⌈(n+1)·coverage⌉``-th smallest score. A new unit's set holds every tier with
``1 − p ≤ qhat`` (to within 1e-8, as MAPIE compares), which covers the true tier with
probability ≥ coverage when units are exchangeable. A set may be empty: no tier is
probable enough at this coverage (with most units green and sure of it, that is how the
sets reach the level rather than overshoot it); a set of more than one tier means the
model cannot tell those apart.
MAPIE's ``SplitConformalClassifier`` with ``conformity_score="lac"`` gives the same sets
(a test checks this); this class is the same arithmetic without the estimator wrapper,
so one unit costs three comparisons.
"""

from __future__ import annotations

import math

import numpy as np

from risk.errors import ModelError
from risk.models.tiers import TIERS

__all__ = ["SplitConformal"]

#: Scores this close to the quantile count as inside it (float ties; MAPIE's EPSILON).
_TOLERANCE = 1e-8


class SplitConformal:
    """LAC prediction sets at ``coverage`` (e.g. 0.9) from calibrated probabilities."""

    def __init__(self, coverage: float = 0.9) -> None:
        if not 0.0 < coverage < 1.0:
            raise ModelError(f"coverage: expected in (0, 1), got {coverage!r}")
        self.coverage = coverage

    def fit(self, proba: np.ndarray, y_codes: np.ndarray) -> SplitConformal:
        proba = np.asarray(proba, np.float64)
        y = np.asarray(y_codes, np.int64)
        if proba.ndim != 2 or proba.shape[1] != 3 or proba.shape[0] != y.size or y.size == 0:
            raise ModelError(f"proba: expected (n, 3) for {y.size} labels, got {proba.shape}")
        scores = 1.0 - proba[np.arange(y.size), y]
        rank = min(y.size, math.ceil((y.size + 1) * self.coverage))
        self.qhat_ = float(np.partition(scores, rank - 1)[rank - 1])
        self.n_calibration_ = int(y.size)
        return self

    def predict_sets(self, proba: np.ndarray) -> np.ndarray:
        """Boolean ``(n, 3)``: which tiers are in each unit's set."""
        proba = np.asarray(proba, np.float64)
        return (1.0 - proba) - self.qhat_ <= _TOLERANCE

    def sets_one(self, p_green: float, p_yellow: float, p_red: float) -> tuple[str, ...]:
        """One unit's set as tier names, in tier order."""
        q = self.qhat_
        probs = (p_green, p_yellow, p_red)
        return tuple(t for i, t in enumerate(TIERS) if (1.0 - probs[i]) - q <= _TOLERANCE)

    @staticmethod
    def coverage_of(sets: np.ndarray, y_codes: np.ndarray) -> float:
        """The share of units whose true tier is in their set."""
        y = np.asarray(y_codes, np.int64)
        return float(np.asarray(sets)[np.arange(y.size), y].mean())
