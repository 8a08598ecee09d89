"""Read ledger files (CSV, Excel, Parquet) into raw frames and map their headers to fields.

A raw frame keeps every cell as the file gave it; parsing into contract types is
:mod:`risk.ingest`'s job. Its index is the row number a person sees in the file:
the header is row 1 in CSV and Excel, so the first record is row 2; Parquet has no
header row, so its first record is row 1.
"""

from __future__ import annotations

import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa
import yaml

from risk.errors import IngestError, refusal
from risk.i18n import text
from risk.schema import RECORD_KINDS, RecordKind
from risk.xlsx_limits import check_xlsx

__all__ = ["HeaderMap", "Mapping", "detect_encoding", "load_mapping", "map_headers", "read_table"]

FORMATS = (".csv", ".xlsx", ".parquet")
_SNIFF_BYTES = 1 << 20


def normalize_token(value: str) -> str:
    """A header or value as compared: NFKC (full-width to half-width), no spaces, lower case."""
    return "".join(unicodedata.normalize("NFKC", value).split()).lower()


def detect_encoding(sample: bytes) -> str:
    """The encoding of a CSV from its first bytes: UTF-8 with BOM, UTF-8, else GB18030."""
    if sample.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(sample) - 3:  # not merely a character cut at the sample's end
            return "gb18030"
    return "utf-8"


def read_table(path: Path, sheet: str | int | None = None) -> pd.DataFrame:
    """The file's rows and columns as given, indexed by the row number a person sees; a
    file that cannot be read (empty, truncated, not of its format) is an :class:`IngestError`
    naming it and saying what is wrong."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise refusal(path, "bad_format", suffix=suffix or "(none)")
    if not path.exists():
        raise refusal(path, "no_such_file")
    if suffix == ".parquet":
        frame = _read_parquet(path)
        first_row = 1
    elif suffix == ".xlsx":
        frame = _read_excel(path, sheet)
        first_row = 2
    else:
        frame = _read_csv(path)
        first_row = 2
    frame.index = pd.RangeIndex(first_row, first_row + len(frame), name="row")
    frame.columns = [str(c) for c in frame.columns]
    return frame


def _read_csv(path: Path) -> pd.DataFrame:
    with path.open("rb") as fh:
        encoding = detect_encoding(fh.read(_SNIFF_BYTES))
    try:
        return pd.read_csv(
            path, encoding=encoding, dtype=str, keep_default_na=False, skipinitialspace=True
        )
    except UnicodeDecodeError as exc:
        raise refusal(path, "bad_encoding") from exc
    except pd.errors.EmptyDataError as exc:
        raise refusal(path, "file_empty") from exc
    except pd.errors.ParserError as exc:
        fields = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
        if fields is None:
            raise refusal(path, "csv_unreadable") from exc
        header, row, seen = fields.groups()
        raise refusal(path, "csv_extra_fields", row=row, seen=seen, header=header) from exc


def _read_excel(path: Path, sheet: str | int | None) -> pd.DataFrame:
    check_xlsx(path)
    try:
        frame = pd.read_excel(
            path, sheet_name=0 if sheet is None else sheet, dtype=object, engine="openpyxl"
        )
    except (zipfile.BadZipFile, KeyError, EOFError, OSError) as exc:
        raise refusal(path, "not_xlsx") from exc
    except ValueError as exc:  # pandas raises ValueError for a missing sheet
        raise IngestError(f"{path.name}: sheet {sheet!r}: {exc}") from exc
    assert isinstance(frame, pd.DataFrame)
    return frame


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        frame = pd.read_parquet(path)
    except (pa.ArrowException, OSError) as exc:
        raise refusal(path, "not_parquet") from exc
    zoned = [str(c) for c, t in frame.dtypes.items() if isinstance(t, pd.DatetimeTZDtype)]
    if zoned:
        raise refusal(path, "zoned_dates", columns=", ".join(zoned))
    return frame


@dataclass(frozen=True)
class Mapping:
    """A county's own ledger format: its headers and value spellings mapped to the contract."""

    columns: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)


def load_mapping(path: Path | None) -> Mapping:
    """Read a mapping file: ``columns: {header: field}`` and ``values: {field: {theirs: code}}``.

    A file with neither key is read as a plain ``{their header: field}`` table.
    """
    if path is None:
        return Mapping()
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise IngestError(f"mapping {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise IngestError(f"mapping {path}: expected a table of header: field")
    if "columns" not in data and "values" not in data:
        data = {"columns": data}
    columns, values = data.get("columns") or {}, data.get("values") or {}
    if not isinstance(columns, dict) or not isinstance(values, dict):
        raise IngestError(f"mapping {path}: 'columns' and 'values' must be tables")
    return Mapping(
        columns={str(k): str(v) for k, v in columns.items()},
        values={
            str(f): {str(k): str(v) for k, v in (vs or {}).items()} for f, vs in values.items()
        },
    )


@dataclass(frozen=True)
class HeaderMap:
    """How a file's headers meet the contract's fields."""

    rename: dict[str, str]
    unknown: list[str]
    missing_required: list[str]


def map_headers(columns: list[str], kind: RecordKind, mapping: Mapping | None = None) -> HeaderMap:
    """Match each header to a field: the mapping, then the field name, then the 中文 header."""
    mapping = mapping or Mapping()
    lookup: dict[str, str] = {}
    for f in kind:
        lookup[normalize_token(f.name)] = f.name
        lookup[normalize_token(f.zh)] = f.name
    others = {
        normalize_token(name)
        for other in RECORD_KINDS.values()
        if other is not kind
        for f in other
        for name in (f.name, f.zh)
    }
    for theirs, ours in mapping.columns.items():
        target = lookup.get(normalize_token(ours))
        if target is None and normalize_token(ours) in others:
            continue  # one county mapping file may cover both ledgers
        if target is None:
            raise IngestError(
                f"mapping: {theirs!r} maps to {ours!r}, which is not a field of {kind.name}"
            )
        lookup[normalize_token(theirs)] = target

    rename: dict[str, str] = {}
    unknown: list[str] = []
    for column in columns:
        target = lookup.get(normalize_token(column))
        if target is None:
            unknown.append(column)
        elif target in rename.values():
            same = [c for c, t in rename.items() if t == target] + [column]
            raise IngestError(
                text("ambiguous_columns", "en", field=target, columns=", ".join(same))
            )
        else:
            rename[column] = target
    missing = [name for name in kind.required if name not in rename.values()]
    return HeaderMap(rename=rename, unknown=unknown, missing_required=missing)
