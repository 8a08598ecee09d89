"""The case ledger for batch scoring: checked in batches, kept compact, handed out by household.

A Parquet ledger is read and checked in batches, so the memory of reading does not grow with
the file; duplicate case ids across batches are found from the case id column alone. Only
what scoring as of the date reads is kept: every case's fields, but the free-text notes only
of the cases still open on the date (the only ones a unit carries; notes are most of a
case's memory). The checked cases are handed out in household order by a :class:`CaseLedger`,
which holds one household-id range (partition) in memory at a time: the whole ledger when it
is small (:func:`read_cases`), else ranges spilled to disk (:mod:`risk.batch.partitions`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from risk.batch.errors import InvalidLedger
from risk.batch.ledger import CASE_BATCH_ROWS, parquet_file
from risk.batch.pool import ordered_map
from risk.features.asof import is_open
from risk.i18n import text
from risk.ingest import ERROR_COLUMNS, read_ledger, validate_frame
from risk.schema import CASE

__all__ = ["CaseLedger", "Spill", "check_cases", "read_cases"]

#: good rows, quarantined rows, errors
_Part = tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]
#: where a batch's good rows go instead of coming back: (rows, first file row) → None
Spill = Callable[[pd.DataFrame, int], None]


class CaseLedger:
    """Checked cases handed out in household order, one partition in memory at a time.

    ``parts`` load the partitions in household-id order; partition ``i`` holds the
    households with ids above ``bounds[i - 1]`` and at or below ``bounds[i]`` (the last one:
    every id above the last bound). A partition is loaded (and sorted by household) when the
    households handed out reach its range, and dropped once they pass it.
    """

    def __init__(
        self,
        parts: Sequence[Callable[[], pd.DataFrame]],
        bounds: Sequence[str],
        quarantine: pd.DataFrame,
    ) -> None:
        if len(parts) != len(bounds) + 1:
            raise ValueError(f"bounds: {len(bounds)} for {len(parts)} partitions")
        self.quarantine = quarantine
        self._parts = list(parts)
        self._bounds = list(bounds)
        self._part = self._next = 0
        self._load(0)

    @classmethod
    def whole(cls, frame: pd.DataFrame, quarantine: pd.DataFrame) -> CaseLedger:
        """Every case in one partition, held in memory."""
        return cls([lambda: frame], [], quarantine)

    def through(self, last_id: str | None) -> pd.DataFrame:
        """Cases not yet handed out whose household id sorts at or before ``last_id``
        (``None``, for a chunk without household ids: none)."""
        if last_id is None:
            return self.frame.iloc[:0]
        pieces = [self._take(last_id)]
        while self._part < len(self._bounds) and last_id > self._bounds[self._part]:
            self._load(self._part + 1)
            pieces.append(self._take(last_id))
        return pieces[0] if len(pieces) == 1 else pd.concat(pieces, ignore_index=True)

    def remaining(self) -> Iterator[pd.DataFrame]:
        """The cases not yet handed out, one partition at a time."""
        while True:
            yield self.frame.iloc[self._next :]
            self._next = len(self.frame)
            if self._part == len(self._bounds):
                return
            self._load(self._part + 1)

    def _take(self, last_id: str) -> pd.DataFrame:
        end = int(self._ids.searchsorted(last_id, side="right"))
        start, self._next = self._next, max(self._next, end)
        return self.frame.iloc[start : self._next]

    def _load(self, part: int) -> None:
        frame = self._parts[part]()
        self.frame = frame.sort_values("household_id", kind="stable", ignore_index=True)
        self._ids = self.frame["household_id"]
        self._part = part
        self._next = 0


def read_cases(
    path: Path,
    as_of: dt.date,
    allow_partial: bool,
    batch_rows: int = CASE_BATCH_ROWS,
    pool: ProcessPoolExecutor | None = None,
) -> CaseLedger:
    """The checked case ledger held whole in memory (:func:`check_cases`)."""
    frame, quarantine = check_cases(path, as_of, allow_partial, batch_rows=batch_rows, pool=pool)
    return CaseLedger.whole(frame, quarantine)


def check_cases(
    path: Path,
    as_of: dt.date,
    allow_partial: bool,
    *,
    spill: Spill | None = None,
    batch_rows: int = CASE_BATCH_ROWS,
    pool: ProcessPoolExecutor | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read and check the case ledger (Parquet in batches, over ``pool`` when given; CSV or
    XLSX whole): its good rows, compacted for ``as_of``, and its quarantined rows.

    With ``spill``, each batch's good rows go to ``spill(rows, first_file_row)`` in the
    process that checked them (so it must pickle), and none come back. Bad rows raise
    :class:`InvalidLedger` once the whole file is checked, unless ``allow_partial`` (then
    they are left out, and kept in the quarantine).
    """
    day = pd.Timestamp(as_of)
    if Path(path).suffix.lower() != ".parquet":
        result = read_ledger(path, CASE)
        parts: Iterable[_Part] = [
            (_kept(result.frame, 1, day, spill), result.quarantine, result.errors)
        ]
    else:
        tasks = _case_batches(path, day, batch_rows, spill)
        parts = ordered_map(_check_batch, tasks, pool)
    good, quarantine, errors = [], [], []
    for frame, bad, reasons in parts:
        good.append(frame)
        quarantine.append(bad)
        errors.append(reasons)
    found = pd.concat(errors, ignore_index=True)
    if len(found) and not allow_partial:
        raise InvalidLedger(str(path), "cases", found)
    return pd.concat(good, ignore_index=True), pd.concat(quarantine, ignore_index=True)


@dataclass
class _CaseBatch:
    """One batch of the Parquet case ledger to check: its rows from file row ``first_row``,
    the earlier rows of its case ids seen before it, and where its good rows go."""

    table: pa.Table
    first_row: int
    earlier: pd.Series
    day: pd.Timestamp
    spill: Spill | None


def _case_batches(
    path: Path, day: pd.Timestamp, batch_rows: int, spill: Spill | None
) -> Iterator[_CaseBatch]:
    source = parquet_file(path)
    first_seen = _first_rows(path)
    row = 1
    for batch in source.iter_batches(batch_size=batch_rows):
        end = row + batch.num_rows
        earlier = first_seen[(first_seen.index >= row) & (first_seen.index < end)]
        yield _CaseBatch(pa.Table.from_batches([batch]), row, earlier, day, spill)
        row = end


def _check_batch(task: _CaseBatch) -> _Part:
    """(good rows, quarantine, errors) of one batch (no good rows when they are spilled)."""
    raw = task.table.to_pandas()
    row = task.first_row
    raw.index = pd.RangeIndex(row, row + len(raw), name="row")
    result = validate_frame(raw, CASE)
    good_rows = raw.index[~raw.index.isin(result.errors["row"])]
    earlier = task.earlier.reindex(good_rows).to_numpy()
    repeated = np.flatnonzero(~np.isnan(earlier) & (earlier < row))
    frame, quarantine, errors = result.frame, result.quarantine, result.errors
    if len(repeated):
        dup = _duplicate_errors(raw, good_rows[repeated], earlier[repeated].astype(int))
        keep = np.ones(len(frame), bool)
        keep[repeated] = False
        frame = frame[keep].reset_index(drop=True)
        quarantine = pd.concat([quarantine, _quarantined(raw, dup)], ignore_index=True)
        errors = pd.concat([errors, dup], ignore_index=True)
    return _kept(frame, row, task.day, task.spill), quarantine, errors


def _kept(
    frame: pd.DataFrame, first_row: int, day: pd.Timestamp, spill: Spill | None
) -> pd.DataFrame:
    """The good rows compacted for ``day``: to be returned, or spilled (leaving none)."""
    compact = _compact(frame, day)
    if spill is None:
        return compact
    spill(compact, first_row)
    return compact.iloc[:0]


def _first_rows(path: Path) -> pd.Series:
    """For each row whose case id appeared earlier in the file: the row where it first did.

    Counted in Arrow over the case id column alone; only the ids seen more than once (none,
    in a clean ledger) are looked at row by row.
    """
    source = parquet_file(path)
    if "case_id" not in source.schema_arrow.names:
        return pd.Series(dtype=float)  # the contract check names the missing column
    ids = source.read(columns=["case_id"]).column(0)
    counts = pc.value_counts(ids).flatten()
    repeated = pc.filter(counts[0], pc.and_(pc.greater(counts[1], 1), pc.is_valid(counts[0])))
    if not len(repeated):
        return pd.Series(dtype=float)
    rows = np.flatnonzero(pc.is_in(ids, value_set=repeated).to_numpy(zero_copy_only=False))
    seen = pd.Series(pc.take(ids, rows).to_pandas().to_numpy(), index=rows + 1)
    first = pd.Series(seen.index, index=seen.index).groupby(seen.to_numpy()).transform("min")
    return first[first != first.index].astype(float)


def _duplicate_errors(raw: pd.DataFrame, rows: pd.Index, first: np.ndarray) -> pd.DataFrame:
    """Error rows for case ids first seen in an earlier batch, worded as ingest words them."""
    values = raw.loc[rows, "case_id"].astype(str).to_numpy()
    return pd.DataFrame(
        {
            "row": rows.to_numpy(),
            "field": "case_id",
            "value": values,
            "reason_zh": [text("duplicate_key", "zh", key="case_id", first=f) for f in first],
            "reason_en": [text("duplicate_key", "en", key="case_id", first=f) for f in first],
        },
        columns=ERROR_COLUMNS,
    )


def _quarantined(raw: pd.DataFrame, errors: pd.DataFrame) -> pd.DataFrame:
    out = raw.loc[errors["row"]].astype("string")
    out.insert(0, "_row", out.index.to_numpy())
    out["_reason_zh"] = ("case_id：" + errors["reason_zh"]).to_numpy()
    out["_reason_en"] = ("case_id: " + errors["reason_en"]).to_numpy()
    return out.reset_index(drop=True)


def _compact(frame: pd.DataFrame, day: pd.Timestamp) -> pd.DataFrame:
    """The cases with the notes of those closed or not yet opened on ``day`` dropped."""
    return frame.assign(notes=frame["notes"].where(is_open(frame, day)))
