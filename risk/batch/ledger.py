"""Streaming the survey ledger for batch scoring (the case ledger: :mod:`risk.batch.cases`).

The survey ledger is streamed in Parquet batches cut at household boundaries: every chunk
holds all the waves of its households, so a household's latest survey is found inside one
chunk. That needs the file grouped by household, which
it is when sorted by ``household_id`` (as ``risk generate`` writes it); an unsorted file is
refused with the row where the order breaks, since finding a household's waves anywhere in
the file would need the whole file (or a sort) first.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from risk.errors import ContractError, IngestError

__all__ = [
    "BATCH_ROWS",
    "CASE_BATCH_ROWS",
    "Chunk",
    "household_chunks",
    "parquet_file",
    "survey_rows",
]

#: Survey rows read at a time; a chunk is this many rows, give or take one household. (A
#: chunk's fixed costs, per call more than per row, cost 15% more CPU per row at 65,536.)
BATCH_ROWS = 131_072
#: Case rows checked at a time: fewer, so that a city's case ledger spreads over the workers.
CASE_BATCH_ROWS = 65_536


@dataclass
class Chunk:
    """Complete households' survey waves; ``first_row`` is the file row of its first row,
    ``last_id`` its last household id (``None`` when no row has one)."""

    table: pa.Table
    first_row: int
    last_id: str | None


def household_chunks(path: Path, batch_rows: int = BATCH_ROWS) -> Iterator[Chunk]:
    """The survey ledger (Parquet) in chunks of complete households, in file order."""
    source = parquet_file(path)
    if "household_id" not in source.schema_arrow.names:
        raise ContractError(f"{path}: no household_id column (写入 Parquet 前请先 risk ingest)")
    carry: pa.Table | None = None
    first_row = 1
    previous: str | None = None
    for batch in source.iter_batches(batch_size=batch_rows):
        table = pa.Table.from_batches([batch])
        ids = table.column("household_id")
        _check_sorted(path, ids, previous, first_row + (0 if carry is None else carry.num_rows))
        if len(ids):
            previous = ids[-1].as_py() if ids[-1].is_valid else previous
        if carry is not None:
            table = pa.concat_tables([carry, table])
            ids = table.column("household_id")
        cut = _last_household_start(ids)
        if cut > 0:
            chunk = table.slice(0, cut).combine_chunks()
            yield Chunk(chunk, first_row, _last_id(chunk))
            first_row += cut
        carry = table.slice(cut)
    if carry is not None and carry.num_rows:
        yield Chunk(carry, first_row, _last_id(carry))


def survey_rows(path: Path) -> int:
    """How many rows the survey ledger holds (from the Parquet footer)."""
    return int(parquet_file(path).metadata.num_rows)


def parquet_file(path: Path) -> pq.ParquetFile:
    if Path(path).suffix.lower() != ".parquet":
        raise IngestError(
            f"{path}: batch scoring streams Parquet; turn a CSV or Excel ledger into Parquet "
            "with `risk ingest` first"
        )
    try:
        return pq.ParquetFile(path, pre_buffer=False)  # pre-buffered ranges stay to the end
    except (OSError, pa.ArrowInvalid) as exc:
        raise IngestError(f"{path}: not a readable Parquet file: {exc}") from exc


def _check_sorted(path: Path, ids: pa.ChunkedArray, previous: str | None, row: int) -> None:
    """Refuse a file whose household ids go down anywhere (missing ids are left to the
    contract check)."""
    values = ids.combine_chunks() if isinstance(ids, pa.ChunkedArray) else ids
    if previous is not None:
        values = pa.concat_arrays([pa.array([previous], values.type), values])
        row -= 1
    if len(values) < 2:
        return
    down = pc.less(values.slice(1), values.slice(0, len(values) - 1))
    if pc.any(down).as_py():
        at = int(pc.index(down, True).as_py())
        raise ContractError(
            f"{Path(path).name}: survey rows must be sorted by household_id for streaming; "
            f"row {row + at + 1} ({values[at + 1].as_py()!r}) comes after "
            f"{values[at].as_py()!r} — sort the file by household_id"
        )


def _last_id(table: pa.Table) -> str | None:
    """The chunk's last household id (rows without one are left to the contract check)."""
    last = pc.max(table.column("household_id")).as_py()
    return None if last is None else str(last)


def _last_household_start(ids: pa.ChunkedArray) -> int:
    """Index of the first row of the last household (whose waves may go on in the next batch)."""
    if len(ids) == 0:
        return 0
    last = ids[-1]
    if not last.is_valid:
        return len(ids)  # a row with no household id belongs to no household
    return int(pc.index(ids, last).as_py())
