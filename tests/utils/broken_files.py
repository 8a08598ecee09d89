"""Ledger files that cannot be read, each as the probe of issue 16 made it: name -> bytes."""

from __future__ import annotations

import io
from collections.abc import Callable

import pandas as pd

from utils.builders import case_row

HEADER = "case_id,household_id,opened_at,source,dispute_type,counterpart\n"
ROW = "C1,H1,2024-01-02,police,marital,spouse\n"


def _cases() -> pd.DataFrame:
    return pd.DataFrame([case_row(case_id="C1", household_id="H1")])


def _xlsx() -> bytes:
    buffer = io.BytesIO()
    _cases().to_excel(buffer, index=False)
    return buffer.getvalue()


def _parquet(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


def _zoned() -> bytes:
    frame = _cases()
    frame["opened_at"] = pd.to_datetime(frame["opened_at"]).dt.tz_localize("Asia/Shanghai")
    return _parquet(frame)


#: Each broken file's name, its bytes, and what the refusal must say (English part).
BROKEN: dict[str, tuple[Callable[[], bytes], str]] = {
    "extra_fields.csv": (
        lambda: (HEADER + ROW + ROW.strip() + ",x,y\n").encode(),
        "row 3 has 8 fields, more than the header's 6",
    ),
    "empty.csv": (lambda: b"", "the file is empty"),
    "bom_only.csv": (lambda: b"\xef\xbb\xbf", "the file is empty"),
    "truncated.xlsx": (lambda: _xlsx()[:1500], "not a whole Excel (.xlsx) workbook"),
    "not_zip.xlsx": (lambda: (HEADER + ROW).encode(), "not a whole Excel (.xlsx) workbook"),
    "empty.xlsx": (lambda: b"", "not a whole Excel (.xlsx) workbook"),
    "truncated.parquet": (lambda: _parquet(_cases())[:300], "not a whole Parquet file"),
    "empty.parquet": (lambda: b"", "not a whole Parquet file"),
    "zoned_dates.parquet": (_zoned, "columns opened_at hold times with a time zone"),
}
