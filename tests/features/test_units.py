"""Units from outside: pandas frames and Arrow batches read into the contract's dtypes."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest
from utils.builders import random_ledger

from risk.features.asof import household_units
from risk.features.units import units_from_arrow


def _plain_arrow(units: pd.DataFrame) -> pa.Table:
    """Units as Spark hands them over: labels as strings, dates as calendar dates."""
    columns = {}
    for name in units.columns:
        column = units[name]
        if isinstance(column.dtype, pd.CategoricalDtype):
            columns[name] = pa.array(column.astype(object), pa.string(), from_pandas=True)
        elif column.dtype.kind == "M":
            columns[name] = pa.array(column.dt.date, pa.date32(), from_pandas=True)
        else:
            columns[name] = pa.array(column, from_pandas=True)
    return pa.table(columns)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_units_from_arrow_are_the_units_themselves(seed):
    households, cases = random_ledger(seed)
    units = household_units(households, cases, "2024-09-30")
    batch = _plain_arrow(units).to_batches()[0]
    pd.testing.assert_frame_equal(units_from_arrow(batch), units)


def test_a_label_outside_the_contract_reads_as_missing():
    households, cases = random_ledger(1)
    units = household_units(households, cases, "2024-09-30")
    table = _plain_arrow(units)
    bad = pa.array(["sometimes"] * len(units), pa.string())
    table = table.set_column(table.schema.get_field_index("alcohol_misuse"), "alcohol_misuse", bad)
    read = units_from_arrow(table)
    assert read["alcohol_misuse"].isna().all()
    assert read["alcohol_misuse"].dtype == units["alcohol_misuse"].dtype
