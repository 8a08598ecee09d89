"""Tier codes, label encoding and the three-class probabilities of the ordinal pair."""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import pandas as pd

from risk.errors import ModelError
from risk.schema import TIERS as CONTRACT_TIERS

__all__ = ["TIERS", "combine_probabilities", "policy_ranks", "tier_codes"]

#: The tiers in order of risk; a tier's index is its rank (0 green, 1 yellow, 2 red).
TIERS = cast(tuple[str, str, str], tuple(c.code for c in CONTRACT_TIERS))
_RANK = {name: i for i, name in enumerate(TIERS)}


def tier_codes(labels: Any, *, allow_missing: bool = False) -> np.ndarray:
    """Labels (``"green"``/``"yellow"``/``"red"`` or 0/1/2) as int ranks; -1 for missing."""
    series = pd.Series(labels, copy=False)
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
        values = series.astype("Float64")
        missing = values.isna().to_numpy()
        codes = values.fillna(-1).to_numpy(np.float64)
        bad = ~missing & ~np.isin(codes, (0, 1, 2))
    else:
        text = series.astype("string")
        missing = text.isna().to_numpy()
        codes = text.map(_RANK.get).astype("Float64").fillna(-1).to_numpy(np.float64)
        bad = ~missing & (codes < 0)
    if bad.any():
        raise ModelError(f"labels: not a tier: {series[bad].iloc[0]!r}; expected one of {TIERS}")
    if missing.any() and not allow_missing:
        raise ModelError(f"labels: {int(missing.sum())} missing; drop unlabelled units first")
    return codes.astype(np.int64)


def combine_probabilities(p_red: np.ndarray, p_yr: np.ndarray) -> np.ndarray:
    """Three-class probabilities ``(n, 3)`` from P(red) and P(yellow or red).

    P(yellow or red) is raised to P(red) where the two binary models disagree, so every
    probability is in [0, 1] and the three add up to one.
    """
    p_red = np.asarray(p_red, np.float64)
    p_yr = np.maximum(np.asarray(p_yr, np.float64), p_red)
    return np.column_stack([1.0 - p_yr, p_yr - p_red, p_red])


def policy_ranks(
    p_red: Any,
    p_yellow_or_red: Any,
    t_red: Any,
    t_yellow: Any,
    floor: Any = 0,
) -> Any:
    """The one tier rule: red when P(red) ≥ t_red, else yellow when P(yellow or red) ≥
    t_yellow, else green; then raised to the red-flag ``floor``. Ranks 0/1/2.

    Thresholds may be per unit (arrays, e.g. each unit's decision's). Given plain
    numbers (one unit, the service's hot path) it answers a plain ``int`` without numpy.
    """
    if all(isinstance(v, float | int) for v in (p_red, p_yellow_or_red, t_red, t_yellow, floor)):
        one = 2 if p_red >= t_red else 1 if p_yellow_or_red >= t_yellow else 0
        return max(one, int(floor))
    p_red = np.asarray(p_red, np.float64)
    p_yr = np.asarray(p_yellow_or_red, np.float64)
    model = np.where(p_red >= t_red, 2, np.where(p_yr >= t_yellow, 1, 0))
    return np.maximum(model, np.asarray(floor)).astype(np.int8)
