"""Limits on an ``.xlsx`` workbook, checked before it is parsed: a zip's members can expand
a thousandfold (a "shared strings" bomb of 240 KB held one 200 MiB string that 1,000 cells
pointed at), so the declared uncompressed size, the length of every cell's text and the
row count are checked first, by reading the zip directory and streaming the XML.

The sizes the zip directory declares bound what :mod:`zipfile` (and so openpyxl) will ever
inflate from a member: it stops there and fails the CRC check, whatever the data holds.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.etree.ElementTree import ParseError, iterparse

from risk.errors import refusal

__all__ = ["XLSX_LIMITS", "XlsxLimits", "check_xlsx"]


@dataclass(frozen=True)
class XlsxLimits:
    """What a ledger workbook may hold."""

    uncompressed_bytes: int = 100 * 2**20
    cell_chars: int = 32_767  # Excel's own limit on a cell's text
    rows: int = 1_000_000


XLSX_LIMITS = XlsxLimits()
_TEXT_TAGS = ("}t", "}v")  # a shared or inline string's text, a cell's value


def check_xlsx(path: Path, limits: XlsxLimits = XLSX_LIMITS) -> None:
    """Refuse (:class:`~risk.errors.IngestError`, zh/en) a workbook over ``limits``; a
    file that is not a zip is left to the reader, which says so."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        return
    with archive:
        members = archive.infolist()
        total = sum(m.file_size for m in members)
        if total > limits.uncompressed_bytes:
            raise refusal(
                path,
                "xlsx_too_large",
                size=total // 2**20,
                limit=limits.uncompressed_bytes // 2**20,
            )
        for member in members:
            name = member.filename
            sheet = name.startswith("xl/worksheets/") and name.endswith(".xml")
            if sheet or name == "xl/sharedStrings.xml":
                _scan(archive, member, path, limits, sheet)


def _scan(
    archive: zipfile.ZipFile, member: zipfile.ZipInfo, path: Path, limits: XlsxLimits, sheet: bool
) -> None:
    rows = 0
    try:
        with archive.open(member) as stream:
            for _, element in iterparse(stream):
                tag = element.tag
                if tag.endswith(_TEXT_TAGS) and len(element.text or "") > limits.cell_chars:
                    raise refusal(path, "xlsx_cell_too_long", limit=limits.cell_chars)
                if sheet and tag.endswith("}row"):
                    rows += 1
                    if rows > limits.rows:
                        raise refusal(path, "xlsx_too_many_rows", limit=limits.rows)
                element.clear()
    except (ParseError, zipfile.BadZipFile, EOFError, OSError) as exc:
        raise refusal(path, "not_xlsx") from exc
