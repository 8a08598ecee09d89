"""Ledger files that cannot be read, each as the probe of issue 16 made it: name -> bytes."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path

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


_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_PARTS = {
    "[Content_Types].xml": (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{_TYPE}.sheet.main+xml"/>'
        f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_TYPE}.worksheet+xml"/>'
        '<Override PartName="/xl/sharedStrings.xml" '
        f'ContentType="{_TYPE}.sharedStrings+xml"/>'
        "</Types>"
    ),
    "_rels/.rels": (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
        "</Relationships>"
    ),
    "xl/workbook.xml": (
        f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>'
        '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/>'
        "</Relationships>"
    ),
}  # fmt: skip


def shared_strings_workbook(path: Path, string_chars: int, rows: int) -> Path:
    """A workbook whose ``rows`` cells all point at one shared string of ``string_chars``
    characters, written in 1 MiB chunks (a 200 MiB string makes a file of about 200 KB)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, xml in _PARTS.items():
            archive.writestr(name, xml)
        cells = "".join(
            f'<row r="{i}"><c r="A{i}" t="s"><v>0</v></c></row>' for i in range(1, rows + 1)
        )
        sheet = f'<worksheet xmlns="{_MAIN}"><sheetData>{cells}</sheetData></worksheet>'
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
        with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as stream:
            stream.write(f'<sst xmlns="{_MAIN}" count="{rows}" uniqueCount="1"><si><t>'.encode())
            chunk = b"A" * 2**20
            left = string_chars
            while left > 0:
                stream.write(chunk[: min(left, len(chunk))])
                left -= len(chunk)
            stream.write(b"</t></si></sst>")
    return path
