"""Which units to flag for review, and the tiers each could plausibly be.

A unit is borderline when moving both its calibrated logits by ``±delta`` would change
its tier. Its set of plausible tiers is every tier from the one at ``−delta`` to the one
at ``+delta`` (red-flag floors hold throughout), so the set is never empty and always
holds the tier shown. ``delta`` is fitted per decision on its calibration units so that
the policy's ``review_share`` of them is flagged; the evaluation reports, per true tier,
how often the set covers it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from risk.errors import ModelError
from risk.models.tiers import TIERS, policy_ranks

__all__ = ["ReviewBand", "set_strings"]


def _logit(p: float) -> float:
    p = min(max(p, 1e-12), 1.0 - 1e-12)
    return float(np.log(p / (1.0 - p)))


@dataclass(frozen=True)
class ReviewBand:
    """``±delta`` on the calibrated logits around the decision's thresholds."""

    delta: float

    @classmethod
    def fit(
        cls,
        z_red: np.ndarray,
        z_yr: np.ndarray,
        t_red: float,
        t_yellow: float,
        floors: np.ndarray,
        share: float,
    ) -> ReviewBand:
        """The widest band that flags no more than ``share`` of these units."""
        if not 0.0 <= share < 1.0:
            raise ModelError(f"review_share: expected in [0, 1), got {share!r}")
        if share == 0.0:
            return cls(0.0)
        low, high = 0.0, 20.0
        for _ in range(50):
            mid = 0.5 * (low + high)
            lo, hi = cls(mid).bounds(z_red, z_yr, t_red, t_yellow, floors)
            if (hi > lo).mean() <= share:
                low = mid
            else:
                high = mid
        return cls(low)

    def bounds(
        self,
        z_red: np.ndarray,
        z_yr: np.ndarray,
        t_red: float | np.ndarray,
        t_yellow: float | np.ndarray,
        floors: np.ndarray | int,
    ) -> tuple[np.ndarray, np.ndarray]:
        """The lowest and highest plausible tier ranks of each unit."""
        zr, zy = np.asarray(z_red, np.float64), np.asarray(z_yr, np.float64)
        lr, ly = np.vectorize(_logit)(t_red), np.vectorize(_logit)(t_yellow)
        zy = np.maximum(zy, zr)

        def at(shift: float) -> np.ndarray:
            return policy_ranks(zr + shift, zy + shift, lr, ly, floors)

        return at(-self.delta), at(self.delta)

    def bounds_one(
        self, z_red: float, z_yr: float, t_red: float, t_yellow: float, floor: int
    ) -> tuple[int, int]:
        lo, hi = self.bounds(np.array([z_red]), np.array([z_yr]), t_red, t_yellow, floor)
        return int(lo[0]), int(hi[0])


def set_strings(lo: np.ndarray, hi: np.ndarray) -> list[str]:
    """Each plausible set as tier names joined by "|", e.g. "yellow|red"."""
    names = {(a, b): "|".join(TIERS[a : b + 1]) for a in range(3) for b in range(a, 3)}
    return [names[(int(a), int(b))] for a, b in zip(lo, hi, strict=True)]
