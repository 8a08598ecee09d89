"""Workbooks over the limits are refused before openpyxl parses them (issue 16's bomb)."""

from __future__ import annotations

import resource
import time
from pathlib import Path

import pandas as pd
import pytest
from utils.broken_files import shared_strings_workbook

from risk.cli import main
from risk.errors import IngestError
from risk.readers import read_table
from risk.xlsx_limits import XlsxLimits, check_xlsx


def test_a_shared_strings_bomb_is_refused_before_parsing(tmp_path: Path) -> None:
    bomb = shared_strings_workbook(tmp_path / "bomb.xlsx", string_chars=200 * 2**20, rows=1000)
    assert bomb.stat().st_size < 2**20  # about 200 KB on disk
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    with pytest.raises(IngestError, match=r"bomb\.xlsx: .*expands to 200 MiB, over the 100 MiB"):
        read_table(bomb)
    assert time.monotonic() - started < 2
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grown_kib < 50 * 1024  # it was 3 GB


def test_the_bomb_makes_risk_ingest_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bomb = shared_strings_workbook(tmp_path / "bomb.xlsx", string_chars=200 * 2**20, rows=1000)
    assert main(["ingest", str(bomb), "--kind", "cases", "--out", str(tmp_path / "o.parquet")]) == 2
    said = " ".join(capsys.readouterr().err.split())
    assert "bomb.xlsx" in said and "压缩炸弹" in said and "Traceback" not in said


def test_a_cell_longer_than_excel_allows_is_refused(tmp_path: Path) -> None:
    long = shared_strings_workbook(tmp_path / "long.xlsx", string_chars=40_000, rows=3)
    with pytest.raises(IngestError, match="more than 32767 characters"):
        read_table(long)


def test_a_sheet_over_the_row_limit_is_refused(tmp_path: Path) -> None:
    rows = shared_strings_workbook(tmp_path / "rows.xlsx", string_chars=10, rows=11)
    with pytest.raises(IngestError, match="more than 10 rows"):
        check_xlsx(rows, XlsxLimits(rows=10))
    check_xlsx(rows, XlsxLimits(rows=11))


def test_a_workbook_within_the_limits_is_read(tmp_path: Path) -> None:
    path = shared_strings_workbook(tmp_path / "ok.xlsx", string_chars=10, rows=3)
    frame = read_table(path)
    assert len(frame) == 2 and set(frame.iloc[:, 0]) == {"A" * 10}
    pd.DataFrame({"a": ["x" * 32_767]}).to_excel(tmp_path / "max.xlsx", index=False)
    assert read_table(tmp_path / "max.xlsx")["a"].str.len().tolist() == [32_767]
