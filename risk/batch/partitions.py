"""The case ledger split by household-id range and spilled to disk, so its size costs no memory.

A case ledger is in no useful order (real ledgers and ``risk generate`` write it by date),
but the survey stream asks for cases in household order. A small ledger is held whole
(:func:`risk.batch.cases.read_cases`). A larger one is read and checked in batches as
usual (over the worker processes), and each batch's good rows are written, split by
household-id range, to a file of that batch's in the range's temporary directory; while the
survey stream runs, only the range it has reached is loaded and sorted. The ranges' bounds
are quantiles of a sample of the ledger's household ids (one pass over that column), so
each range holds about ``partition_rows`` cases. The files live in a hidden temporary
directory, removed when the run ends, however it ends.
"""

from __future__ import annotations

import datetime as dt
import math
import pickle
import tempfile
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from risk.atomic import temporary_prefix
from risk.batch.cases import CaseLedger, check_cases, read_cases
from risk.batch.ledger import CASE_BATCH_ROWS, parquet_file
from risk.ingest import empty_frame
from risk.schema import CASE

__all__ = ["PARTITION_ROWS", "household_bounds", "open_cases"]

#: Cases held in memory at a time, about: a ledger up to this size is held whole.
PARTITION_ROWS = 131_072


@contextmanager
def open_cases(
    path: Path,
    as_of: dt.date,
    allow_partial: bool,
    spill_dir: Path,
    *,
    partition_rows: int = PARTITION_ROWS,
    batch_rows: int = CASE_BATCH_ROWS,
    pool: ProcessPoolExecutor | None = None,
) -> Iterator[CaseLedger]:
    """The checked case ledger (checked over ``pool``, when given): held whole when it is
    CSV, XLSX or at most ``partition_rows`` rows, else spilled by household range to a
    temporary directory in ``spill_dir`` that is removed on leaving the block."""
    rows = _parquet_rows(path)
    if rows <= partition_rows:
        yield read_cases(path, as_of, allow_partial, batch_rows, pool)
        return
    bounds = household_bounds(path, math.ceil(rows / partition_rows))
    Path(spill_dir).mkdir(parents=True, exist_ok=True)
    spilled = tempfile.TemporaryDirectory(
        prefix=temporary_prefix("cases"), suffix=".part", dir=spill_dir
    )
    with spilled as tmp:
        parts = [Path(tmp) / str(i) for i in range(len(bounds) + 1)]
        for part in parts:
            part.mkdir()
        spill = partial(_spill, parts, np.array(bounds, dtype=object))
        _, quarantine = check_cases(
            path, as_of, allow_partial, spill=spill, batch_rows=batch_rows, pool=pool
        )
        yield CaseLedger([partial(_load, part) for part in parts], bounds, quarantine)


def household_bounds(path: Path, partitions: int, sample: int = CASE_BATCH_ROWS) -> list[str]:
    """Up to ``partitions - 1`` increasing household ids that cut the Parquet case ledger
    into ranges of about equal numbers of cases (quantiles of every n-th row's id)."""
    source = parquet_file(path)
    if partitions < 2 or "household_id" not in source.schema_arrow.names:
        return []  # (the contract check names a missing column)
    step = max(1, source.metadata.num_rows // sample)
    picked, row = [], 0
    for batch in source.iter_batches(batch_size=CASE_BATCH_ROWS, columns=["household_id"]):
        picked.append(batch.column(0).take(np.arange(-row % step, batch.num_rows, step)))
        row += batch.num_rows
    ids = sorted(pa.chunked_array(picked, picked[0].type).cast(pa.string()).drop_null().to_pylist())
    if not ids:
        return []
    return sorted({ids[i * len(ids) // partitions] for i in range(1, partitions)})


def _parquet_rows(path: Path) -> int:
    """Rows of a Parquet ledger (0 for CSV or XLSX, which are read whole)."""
    if Path(path).suffix.lower() != ".parquet":
        return 0
    return int(parquet_file(path).metadata.num_rows)


def _spill(parts: list[Path], bounds: np.ndarray, frame: pd.DataFrame, first_row: int) -> None:
    """Write each range's rows of ``frame`` (file rows from ``first_row`` on) to a file of
    their own in that range's directory, named so that names sort in file order."""
    part = np.searchsorted(bounds, frame["household_id"].to_numpy(dtype=object), side="left")
    for i in np.unique(part):
        with (parts[i] / f"{first_row:012d}.pickle").open("wb") as fh:
            pickle.dump(frame[part == i], fh, protocol=pickle.HIGHEST_PROTOCOL)


def _load(part: Path) -> pd.DataFrame:
    """The cases spilled to the range directory ``part``, in file order."""
    pieces = []
    for file in sorted(part.iterdir()):
        with file.open("rb") as fh:
            pieces.append(pickle.load(fh))
    return pd.concat(pieces, ignore_index=True) if pieces else empty_frame(CASE)
