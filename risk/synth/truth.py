"""The exact probabilities of every scoring unit's label, from the generating process.

With daily case rate λ_h(d), Λ = Σ λ_h(d) over the window's days d = t+1..t+90 and
Λ_red = Σ λ_h(d)·q_h(d), q_h(d) = P(a case opened on day d marks the window red as read from
the ledger) = A + B·o(d), o(d) = P(its outcome is recorded by the ledger end):

- survey unit: p_green = exp(−Λ), p_red = 1 − exp(−Λ_red);
- case unit with own P(resolved) = r, P(serious harm) = s:
  p_green = r·exp(−Λ), p_red = 1 − (1 − s)·exp(−Λ_red);

and p_yellow = 1 − p_green − p_red. Windows that run past the ledger end are priced as if
the ledger went on in the last period's state with every outcome recorded.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from risk.synth import params as P
from risk.synth.calendar import WINDOW_DAYS, Calendar

UNITS = pd.CategoricalDtype(["case", "survey"])
COLUMNS = [
    "unit",
    "case_id",
    "household_id",
    "as_of",
    "p_green",
    "p_yellow",
    "p_red",
    "window_complete",
]


@dataclass(frozen=True)
class Rates:
    """Per period and household (``years × n``): daily case rate and the red-marking terms."""

    daily: np.ndarray
    red_a: np.ndarray
    red_b: np.ndarray


def outcome_recorded_probability(calendar: Calendar, days: np.ndarray) -> np.ndarray:
    """o(d) = P(d + delay ≤ ledger end), the delay uniform on OUTCOME_DELAY_DAYS."""
    low, high = P.OUTCOME_DELAY_DAYS
    return np.clip(calendar.end_day - days - low + 1, 0, high - low + 1) / (high - low + 1)


def window_intensities(
    calendar: Calendar, rates: Rates, household: np.ndarray, as_of: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(Λ, Λ_red, window complete) for windows as_of+1 .. as_of+90 of each household."""
    first, last = as_of + 1, as_of + WINDOW_DAYS
    complete = last <= calendar.end_day
    p1, p2 = calendar.period_of(first), calendar.period_of(last)
    next_start = calendar.bounds[np.minimum(p1 + 1, calendar.years)]
    n1 = np.where(p1 == p2, WINDOW_DAYS, next_start - first)
    n2 = WINDOW_DAYS - n1
    days = np.arange(calendar.end_day + WINDOW_DAYS + 2)
    cumulative = np.concatenate([[0.0], np.cumsum(outcome_recorded_probability(calendar, days))])
    o1 = np.where(complete, cumulative[first + n1] - cumulative[first], n1)
    o2 = np.where(complete, cumulative[last + 1] - cumulative[first + n1], n2)
    lam1, lam2 = rates.daily[p1, household], rates.daily[p2, household]
    total = lam1 * n1 + lam2 * n2
    red = lam1 * (rates.red_a[p1, household] * n1 + rates.red_b[p1, household] * o1) + lam2 * (
        rates.red_a[p2, household] * n2 + rates.red_b[p2, household] * o2
    )
    return total, red, complete


def label_probabilities(
    total: np.ndarray,
    red: np.ndarray,
    resolved: np.ndarray | None = None,
    serious: np.ndarray | None = None,
) -> np.ndarray:
    """(p_green, p_yellow, p_red) per unit; ``resolved``/``serious`` for case units."""
    no_case, no_red_case = np.exp(-total), np.exp(-red)
    if resolved is None or serious is None:
        green, not_red = no_case, no_red_case
    else:
        green, not_red = resolved * no_case, (1 - serious) * no_red_case
    p_red = 1 - not_red
    p_yellow = np.clip(1 - green - p_red, 0.0, 1.0)
    return np.stack([green, p_yellow, p_red], axis=1)


def truth_frame(
    unit: str,
    case_id: object,
    household_id: object,
    as_of: np.ndarray,
    probabilities: np.ndarray,
    complete: np.ndarray,
) -> pd.DataFrame:
    n = len(as_of)
    return pd.DataFrame(
        {
            "unit": pd.Categorical.from_codes(
                np.full(n, UNITS.categories.get_loc(unit)), dtype=UNITS
            ),
            "case_id": pd.array(np.full(n, None), dtype="string") if case_id is None else case_id,
            "household_id": household_id,
            "as_of": as_of,
            "p_green": probabilities[:, 0],
            "p_yellow": probabilities[:, 1],
            "p_red": probabilities[:, 2],
            "window_complete": complete,
        },
        columns=COLUMNS,
    )
