"""The ledger's days: period k is the k-th year from the start; the end day is the last recorded."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

WINDOW_DAYS = 90


def add_years(day: dt.date, years: int) -> dt.date:
    """The same calendar day ``years`` later (28 February for a 29 February start)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


@dataclass(frozen=True)
class Calendar:
    """Days are integers counted from ``start``; period ``k`` covers ``bounds[k]..bounds[k+1]-1``.

    The end day ``bounds[-1]`` (``start + years``) is the last day of the ledger: it belongs
    to the last period, whose rates also hold for any day after the end.
    """

    start: dt.date
    years: int

    @property
    def end(self) -> dt.date:
        return add_years(self.start, self.years)

    @property
    def bounds(self) -> np.ndarray:
        starts = (add_years(self.start, k) for k in range(self.years + 1))
        return np.array([(day - self.start).days for day in starts])

    @property
    def end_day(self) -> int:
        return int(self.bounds[-1])

    def period_days(self) -> np.ndarray:
        """Days in each period; the last one includes the end day."""
        days = np.diff(self.bounds)
        days[-1] += 1
        return days

    def period_of(self, days: np.ndarray) -> np.ndarray:
        """The period of each day; days past the end fall in the last period."""
        return np.searchsorted(self.bounds[1:-1], days, side="right")

    def to_datetime(self, days: np.ndarray) -> np.ndarray:
        """Day numbers as ``datetime64[ns]``."""
        dates = np.datetime64(self.start, "D") + days.astype("timedelta64[D]")
        return dates.astype("datetime64[ns]")
