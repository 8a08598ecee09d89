"""The case ledger for batch scoring: checked in batches, kept compact, sorted by household.

The case ledger is small beside the survey ledger (about one case for every 17 survey
waves in the synthetic population), so it is held whole, sorted by household, and each
chunk of households takes exactly its own cases. Only what scoring as of the date reads is
kept: every case's fields, but the free-text notes only of the cases still open on the
date (the only ones a unit carries; notes are most of a case's memory). A Parquet ledger
is read and checked in batches, so the memory of reading does not grow with the file;
duplicate case ids across batches are found from the case id column alone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from risk.batch.errors import InvalidLedger
from risk.batch.ledger import BATCH_ROWS, parquet_file
from risk.i18n import text
from risk.ingest import ERROR_COLUMNS, read_ledger, validate_frame
from risk.schema import CASE

__all__ = ["CaseLedger", "read_cases"]

#: good rows, quarantined rows, errors
_Part = tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]


class CaseLedger:
    """Checked cases sorted by household, handed out in household order."""

    def __init__(self, frame: pd.DataFrame, quarantine: pd.DataFrame) -> None:
        self.frame = frame.sort_values("household_id", kind="stable", ignore_index=True)
        self.quarantine = quarantine
        self._ids = self.frame["household_id"]
        self._next = 0

    def through(self, last_id: str | None) -> pd.DataFrame:
        """Cases not yet handed out whose household id sorts at or before ``last_id``."""
        end = len(self._ids) if last_id is None else self._upper(last_id)
        start, self._next = self._next, max(self._next, end)
        return self.frame.iloc[start : self._next]

    def _upper(self, household_id: str) -> int:
        return int(self._ids.searchsorted(household_id, side="right"))


def read_cases(
    path: Path, as_of: dt.date, allow_partial: bool, batch_rows: int = BATCH_ROWS
) -> CaseLedger:
    """Read and check the case ledger (Parquet in batches; CSV or XLSX whole); refuse bad
    rows unless ``allow_partial`` (then they are left out, and kept in the quarantine)."""
    day = pd.Timestamp(as_of)
    if Path(path).suffix.lower() != ".parquet":
        result = read_ledger(path, CASE)
        parts: list[_Part] = [(_compact(result.frame, day), result.quarantine, result.errors)]
    else:
        parts = list(_batches(path, day, batch_rows))
    errors = pd.concat([e for _, _, e in parts], ignore_index=True)
    if len(errors) and not allow_partial:
        raise InvalidLedger(str(path), "cases", errors)
    frame = pd.concat([f for f, _, _ in parts], ignore_index=True)
    quarantine = pd.concat([q for _, q, _ in parts], ignore_index=True)
    return CaseLedger(frame, quarantine)


def _batches(path: Path, day: pd.Timestamp, batch_rows: int) -> Iterator[_Part]:
    """(good rows, quarantine, errors) per batch of the Parquet case ledger."""
    source = parquet_file(path)
    first_seen = _first_rows(path)
    row = 1
    for batch in source.iter_batches(batch_size=batch_rows):
        raw = batch.to_pandas()
        raw.index = pd.RangeIndex(row, row + len(raw), name="row")
        result = validate_frame(raw, CASE)
        good_rows = raw.index[~raw.index.isin(result.errors["row"])]
        earlier = first_seen.reindex(good_rows).to_numpy()
        repeated = np.flatnonzero(~np.isnan(earlier) & (earlier < row))
        frame, quarantine, errors = result.frame, result.quarantine, result.errors
        if len(repeated):
            dup = _duplicate_errors(raw, good_rows[repeated], earlier[repeated].astype(int))
            keep = np.ones(len(frame), bool)
            keep[repeated] = False
            frame = frame[keep].reset_index(drop=True)
            quarantine = pd.concat([quarantine, _quarantined(raw, dup)], ignore_index=True)
            errors = pd.concat([errors, dup], ignore_index=True)
        yield _compact(frame, day), quarantine, errors
        row += len(raw)


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
    open_now = (frame["opened_at"] <= day) & ~(frame["outcome_at"] <= day).fillna(False)
    return frame.assign(notes=frame["notes"].where(open_now.fillna(False).astype(bool)))
