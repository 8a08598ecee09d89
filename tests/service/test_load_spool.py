"""``service.load_spool``: the records' JSON and ``COPY``'s text format, made by Arrow."""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterator
from typing import Any

import pandas as pd
import psycopg
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from service.conftest import _postgres_database

from service.load_spool import copy_text, json_lines
from service.store import json_fields

TEXT = st.one_of(st.none(), st.text(max_size=30))
INTS = st.one_of(st.none(), st.integers(-(2**31), 2**31 - 1))
FLOATS = st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True))
BOOLS = st.one_of(st.none(), st.booleans())
DAYS = st.one_of(st.none(), st.dates(dt.date(1990, 1, 1), dt.date(2030, 12, 31)))
ROW = st.tuples(TEXT, INTS, FLOATS, BOOLS, DAYS, st.sampled_from([None, "城市", "rural"]))


def _frame(rows: list[tuple[Any, ...]]) -> pd.DataFrame:
    """A frame with the contract's kinds of columns (text, Int32, float, boolean, day,
    category), ``rows`` in it."""
    text, ints, floats, bools, days, labels = (list(c) for c in zip(*rows, strict=True))
    return pd.DataFrame(
        {
            "notes": pd.array(text, "string"),
            "count": pd.array(ints, "Int32"),
            "rate": pd.array([math.nan if f is None else f for f in floats], "float64"),
            "drinks": pd.array(bools, "boolean"),
            "day": pd.to_datetime(pd.Series(days, dtype=object)),
            "area": pd.Categorical(labels),
        }
    )


def _expected(row: dict[str, Any]) -> dict[str, Any]:
    """A row as a request's record is stored (service.store.json_fields), then read back."""
    present = {
        k: (v.date() if isinstance(v, pd.Timestamp) else v)
        for k, v in row.items()
        if v is not None and v is not pd.NA and v is not pd.NaT
    }
    present = {k: v for k, v in present.items() if not (isinstance(v, float) and math.isinf(v))}
    return json.loads(json.dumps(json_fields(present), ensure_ascii=False))


@settings(max_examples=60, deadline=None)
@given(st.lists(ROW, min_size=1, max_size=12))
def test_json_lines_stores_a_row_as_a_requests_record_is_stored(rows) -> None:
    frame = _frame(rows)
    lines = json_lines(frame).to_pylist()
    assert len(lines) == len(frame)
    for line, row in zip(lines, frame.astype(object).to_dict("records"), strict=True):
        assert json.loads(line) == _expected(row)


def test_json_lines_of_no_rows_and_of_rows_with_nothing() -> None:
    assert json_lines(_frame([(None,) * 6]).iloc[0:0]).to_pylist() == []
    assert json_lines(_frame([(None,) * 6, (None,) * 6])).to_pylist() == ["{}", "{}"]


@pytest.fixture(scope="module")
def postgres() -> Iterator[psycopg.Connection]:
    databases = _postgres_database()
    url = next(databases)
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as connection:
        yield connection
    next(databases, None)


FINITE = st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=False))


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.tuples(TEXT, INTS, FINITE, BOOLS, DAYS), min_size=1, max_size=10))
def test_copy_text_is_read_back_by_postgresql_as_written(postgres, rows) -> None:
    text, ints, floats, bools, days = (list(c) for c in zip(*rows, strict=True))
    text = [None if t is None else t.replace("\x00", "") for t in text]  # (no NUL in text)
    table = pa.table(
        {
            "t": pa.array(text, pa.string()),
            "i": pa.array(ints, pa.int64()),
            "f": pa.array(floats, pa.float64()),
            "b": pa.array(bools, pa.bool_()),
            "d": pa.array(days, pa.date32()),
        }
    )
    with postgres.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE t (t TEXT, i BIGINT, f DOUBLE PRECISION, b BOOLEAN, d DATE)"
        )
        with cursor.copy("COPY t (t, i, f, b, d) FROM STDIN") as copy:
            copy.write(copy_text(table))
        back = cursor.execute("SELECT t, i, f, b, d FROM t").fetchall()
        cursor.execute("DROP TABLE t")
    assert back == list(zip(text, ints, floats, bools, days, strict=True))
