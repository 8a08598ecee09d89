"""Ledger rows from outside: Arrow tables (a Spark group's) read into the contract's dtypes."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest
from utils.builders import random_ledger

from risk.features.units import SURVEY_COLUMNS, frame_from_arrow

SURVEY_SIDE = ["household_id", *SURVEY_COLUMNS]


def _plain_arrow(frame: pd.DataFrame) -> pa.Table:
    """Rows as Spark hands them over: labels as strings, dates as calendar dates."""
    columns = {}
    for name in frame.columns:
        column = frame[name]
        if isinstance(column.dtype, pd.CategoricalDtype):
            columns[name] = pa.array(column.astype(object), pa.string(), from_pandas=True)
        elif column.dtype.kind == "M":
            columns[name] = pa.array(column.dt.date, pa.date32(), from_pandas=True)
        else:
            columns[name] = pa.array(column, from_pandas=True)
    return pa.table(columns)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_ledger_rows_from_arrow_are_the_contract_frames_themselves(seed):
    households, cases = random_ledger(seed)
    for frame in (households, cases):
        names = list(frame.columns)
        read = frame_from_arrow(_plain_arrow(frame), names)
        pd.testing.assert_frame_equal(read, frame.reset_index(drop=True))


def test_a_label_outside_the_contract_reads_as_missing_and_an_absent_column_too():
    households, _ = random_ledger(1)
    table = _plain_arrow(households)
    bad = pa.array(["sometimes"] * len(households), pa.string())
    table = table.set_column(table.schema.get_field_index("alcohol_misuse"), "alcohol_misuse", bad)
    read = frame_from_arrow(table.drop_columns(["phq9"]), SURVEY_SIDE)
    assert list(read.columns) == SURVEY_SIDE
    assert read["alcohol_misuse"].isna().all() and read["phq9"].isna().all()
    assert read["alcohol_misuse"].dtype == households["alcohol_misuse"].dtype
    assert read["phq9"].dtype == households["phq9"].dtype
