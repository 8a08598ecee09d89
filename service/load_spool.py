"""The heavy half of a load, done in the batch engine's worker processes: each batch of a
ledger, and each chunk of households scored, made into rows as a staging table holds
them and written to a file of its own (Arrow IPC) in the load's temporary folder.

The process that holds the database transaction then only copies files into it, while the
workers make the next ones (and the scores, all of them, while the database merges the
ledger: they wait on disk, not in memory). A staging row is its key columns (labels as
text, times as days) and its record as JSON text, ``fields``.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from risk.batch.worker import loaded_pyfunc
from service.load_scores import chunk_scores

__all__ = [
    "ScoreTask",
    "Spooled",
    "StageTask",
    "Stamp",
    "copy_text",
    "json_lines",
    "read_spooled",
    "spool",
    "sql_type",
    "staged",
]


_COPY = ".copy"


@dataclass(frozen=True)
class Stamp:
    """What every row a load stores carries: the load's key, its time, and how the
    staging rows are written: PostgreSQL's ``COPY`` text format, or Arrow IPC for SQLite
    (which inserts them with ``executemany``)."""

    key_id: int
    now: dt.datetime
    postgres: bool


@dataclass(frozen=True)
class StageTask:
    """Ledger rows to stage: ``keys``, columns stored as they are, and ``fields``, the
    record stored as JSON (the same rows, in the same order)."""

    keys: pd.DataFrame
    fields: pd.DataFrame
    stamp: Stamp
    path: Path


@dataclass(frozen=True)
class ScoreTask:
    """A chunk of households to score as of ``as_of`` with the pickled ``model``."""

    waves: pd.DataFrame
    cases: pd.DataFrame
    as_of: dt.date
    model: bytes
    stamp: Stamp
    path: Path


@dataclass(frozen=True)
class Spooled:
    """A staged batch on disk (``path`` None: nothing to stage): its columns with their
    SQL types, and its rows."""

    path: Path | None
    columns: tuple[tuple[str, str], ...]
    rows: int


def staged(keys: pd.DataFrame, fields: pd.DataFrame, record: str, stamp: Stamp) -> pa.Table:
    """Rows as a staging table holds them: the key columns, the record as JSON text in
    the column ``record``, then the load's key and time."""
    table = pa.Table.from_pandas(keys.reset_index(drop=True), preserve_index=False)
    n = table.num_rows
    columns = [_plain(column) for column in table.columns]
    columns.append(json_lines(fields))
    columns.append(pa.array(np.full(n, stamp.key_id, np.int64)))
    columns.append(pa.array(np.full(n, stamp.now), pa.timestamp("us", tz="UTC")))
    return pa.table(columns, names=[*table.column_names, record, "key_id", "created_at"])


def json_lines(frame: pd.DataFrame) -> pa.Array:
    """Each row as a JSON object, as :func:`service.store.json_fields` stores a request's
    record: days as ISO strings, missing values (and infinite numbers) left out.

    Made column by column by Arrow: each value as its member ``"name":value,`` (nothing
    when missing), the members one after another, the last comma dropped. (Arrow's join
    that skips nulls dropped the rows whose values were all missing, with pyarrow 25.)"""
    table = pa.Table.from_pandas(frame.reset_index(drop=True), preserve_index=False)
    named = zip(frame.columns, table.columns, strict=True)
    members = [pc.fill_null(_member(str(name), column), "") for name, column in named]
    if not members:
        return pa.array(["{}"] * table.num_rows, pa.string())
    joined = pc.utf8_rtrim(pc.binary_join_element_wise(*members, ""), ",")
    return pc.binary_join_element_wise("{", joined, "}", "").combine_chunks()


def _member(name: str, column: pa.ChunkedArray) -> pa.ChunkedArray:
    kind = column.type
    if pa.types.is_dictionary(kind):
        column, kind = column.cast(pa.string()), pa.string()
    if pa.types.is_floating(kind):
        column = pc.if_else(pc.is_finite(column), column, None)
        value = column.cast(pa.string())
    elif pa.types.is_integer(kind) or pa.types.is_boolean(kind) or pa.types.is_null(kind):
        value = column.cast(pa.string())
    else:  # text, days and times: a JSON string
        if pa.types.is_timestamp(kind):
            column = column.cast(pa.date32())
        value = _json_string(column.cast(pa.string()))
    head = json.dumps(name, ensure_ascii=False) + ":"
    return pc.binary_join_element_wise(head, value, ",", "")


#: What JSON escapes in a string: the quote, the backslash and the control characters.
_ESCAPES = {'"': '\\"', "\\": "\\\\", **{chr(c): f"\\u{c:04x}" for c in range(32)}}
_ESCAPES.update({"\n": "\\n", "\r": "\\r", "\t": "\\t"})
_NEEDS_ESCAPE = r'["\\\x00-\x1f]'


def _json_string(text: pa.ChunkedArray) -> pa.ChunkedArray:
    """``text`` as JSON strings: quoted, with what JSON escapes escaped (the backslash
    first); the common case, nothing to escape, costs one scan."""
    if pc.any(pc.match_substring_regex(text, _NEEDS_ESCAPE)).as_py():
        for char in ("\\", *(c for c in _ESCAPES if c != "\\")):
            if pc.any(pc.match_substring(text, char)).as_py():
                text = pc.replace_substring(text, char, _ESCAPES[char])
    return pc.binary_join_element_wise('"', text, '"', "")


def _plain(column: pa.ChunkedArray) -> pa.ChunkedArray:
    kind = column.type
    if pa.types.is_dictionary(kind) or pa.types.is_null(kind):
        return column.cast(pa.string())
    if pa.types.is_timestamp(kind):
        return column.cast(pa.date32())
    return column


def spool(task: StageTask | ScoreTask) -> Spooled:
    """Do a task and write its staged rows to ``task.path`` (with the suffix of their
    format)."""
    if isinstance(task, StageTask):
        table = staged(task.keys, task.fields, "fields", task.stamp)
    else:
        scored = chunk_scores(loaded_pyfunc(task.model).model, task.waves, task.cases, task.as_of)
        if scored is None:
            return Spooled(None, (), 0)
        table = staged(*scored, "inputs", task.stamp)
    path = task.path.with_suffix(_COPY if task.stamp.postgres else ".arrow")
    if task.stamp.postgres:
        path.write_bytes(copy_text(table))
    else:
        with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as out:
            out.write_table(table)
    columns = tuple((f.name, sql_type(f.type)) for f in table.schema)
    return Spooled(path, columns, table.num_rows)


def copy_text(table: pa.Table) -> bytes:
    """The rows in ``COPY``'s text format (columns split by tabs, rows ended by newlines,
    NULL as ``\\N``, a backslash, tab or line break in a value escaped), made by Arrow."""
    columns = []
    for column in table.columns:
        value = column.cast(pa.string())
        for char, escaped in (("\\", "\\\\"), ("\t", "\\t"), ("\n", "\\n"), ("\r", "\\r")):
            if pc.any(pc.match_substring(value, char)).as_py():  # (a scan: cheaper than a copy)
                value = pc.replace_substring(value, char, escaped)
        columns.append(pc.fill_null(value, "\\N"))
    lines = pc.binary_join_element_wise(*columns, "\t")
    ended = pc.binary_join_element_wise(lines, pa.scalar("\n"), "").combine_chunks()
    if not len(ended):
        return b""
    # the rows one after another: the array's characters, from its first offset to its last
    offsets = np.frombuffer(ended.buffers()[1], np.int32)
    start, end = int(offsets[ended.offset]), int(offsets[ended.offset + len(ended)])
    return ended.buffers()[2].slice(start, end - start).to_pybytes()


def sql_type(kind: pa.DataType) -> str:
    """The SQL type of a staging column of Arrow type ``kind``."""
    if pa.types.is_date(kind):
        return "DATE"
    if pa.types.is_timestamp(kind):
        return "TIMESTAMP WITH TIME ZONE"
    if pa.types.is_boolean(kind):
        return "BOOLEAN"
    if pa.types.is_integer(kind):
        return "BIGINT"
    if pa.types.is_floating(kind):
        return "DOUBLE PRECISION"
    return "TEXT"


def read_spooled(item: Spooled) -> bytes | pa.Table:
    """A staged batch back from its file (COPY text, or an Arrow table), the file removed."""
    assert item.path is not None
    if item.path.suffix == _COPY:
        data: bytes | pa.Table = item.path.read_bytes()
    else:
        with pa.OSFile(str(item.path), "rb") as source:  # (read into memory: the file goes)
            data = pa.ipc.open_file(source).read_all()
    item.path.unlink()
    return data
