"""The one-household history (plain Python, for the service) equals the batch history."""

from __future__ import annotations

import numpy as np
import pytest
from utils.builders import as_records, random_ledger

from risk.features import build_units
from risk.features.history import HISTORY_COLUMNS, history_one


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_history_one_equals_add_history(seed):
    households, cases = random_ledger(seed, households=30, cases=200)
    units = build_units(households, cases)
    by_household = {h: as_records(g) for h, g in cases.groupby("household_id", observed=True)}
    for unit in units.itertuples():
        got = history_one(unit.as_of, by_household.get(unit.household_id, []), unit.survey_date)
        want = [getattr(unit, name) for name in HISTORY_COLUMNS]
        np.testing.assert_allclose([got[n] for n in HISTORY_COLUMNS], want, equal_nan=True)
