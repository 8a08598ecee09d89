"""Counting a household's dated events relative to a date, vectorised over many units.

Every history feature and every label is a question of the form "how many of this
household's events fall before (or in a window after) this date". Events and units
are turned into one sorted integer key per (household, day), so each question is two
binary searches, whatever the number of households.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["Timeline", "days"]

_DAY_SPAN = 1 << 20  # days per household block: dates up to ~2870 AD, far past any ledger


def days(dates: pd.Series | pd.Index | np.ndarray) -> np.ndarray:
    """Dates as whole days since 1970-01-01 (int64; NaT becomes a large negative number)."""
    values = np.asarray(dates, dtype="datetime64[ns]").astype("datetime64[D]")
    return values.astype(np.int64)


class Timeline:
    """One kind of dated event per household, ready to be counted before any date."""

    def __init__(
        self, codes: np.ndarray, event_days: np.ndarray, weights: np.ndarray | None = None
    ):
        keep = event_days >= 0  # events with no date never count
        keys = codes[keep].astype(np.int64) * _DAY_SPAN + event_days[keep]
        order = np.argsort(keys, kind="stable")
        self._keys = keys[order]
        self._days = event_days[keep][order]
        w = np.ones(len(keys)) if weights is None else np.asarray(weights, float)[keep][order]
        self._cum = np.concatenate([[0.0], np.cumsum(w)])

    def _index(self, codes: np.ndarray, unit_days: np.ndarray) -> np.ndarray:
        return np.searchsorted(self._keys, codes.astype(np.int64) * _DAY_SPAN + unit_days, "left")

    def count_before(self, codes: np.ndarray, unit_days: np.ndarray) -> np.ndarray:
        """Weighted count of each household's events strictly before its day."""
        start = self._index(codes, np.zeros_like(unit_days))
        return self._cum[self._index(codes, unit_days)] - self._cum[start]

    def count_between(self, codes: np.ndarray, first: np.ndarray, last: np.ndarray) -> np.ndarray:
        """Weighted count of events on days ``first`` through ``last`` (inclusive)."""
        return self._cum[self._index(codes, last + 1)] - self._cum[self._index(codes, first)]

    def last_before(self, codes: np.ndarray, unit_days: np.ndarray) -> np.ndarray:
        """Day of each household's latest event strictly before its day (NaN when none)."""
        end = self._index(codes, unit_days)
        start = self._index(codes, np.zeros_like(unit_days))
        found = end > start
        out = np.full(len(unit_days), np.nan)
        out[found] = self._days[end[found] - 1]
        return out
