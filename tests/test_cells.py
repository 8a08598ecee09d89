"""Spreadsheet-safe cells: what a spreadsheet would run is written as text."""

from __future__ import annotations

import pandas as pd
import pytest

from risk.cells import neutral, neutral_frame


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+SUM(1,2)", "'+SUM(1,2)"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("-2+3", "'-2+3"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("-3", "-3"),
        ("+1.5e3", "+1.5e3"),
        ("H-1=2", "H-1=2"),
        (7, 7),
    ],
)
def test_neutral_quotes_formulas_and_keeps_numbers(cell: object, written: object) -> None:
    assert neutral(cell) == written


def test_neutral_frame_covers_headers_and_text_columns_only() -> None:
    frame = pd.DataFrame({"=cmd": ["=1", None], "n": [-1, 2]}).astype({"=cmd": "string"})
    out = neutral_frame(frame)
    assert list(out.columns) == ["'=cmd", "n"]
    assert out["'=cmd"].tolist()[0] == "'=1" and out["'=cmd"].isna().tolist() == [False, True]
    assert out["n"].tolist() == [-1, 2]
