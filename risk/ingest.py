"""Bring a ledger in: parse every cell into its contract type, check the contract, quarantine.

Nothing is dropped silently: every row read ends either in :attr:`IngestResult.frame`
(contract-valid, contract dtypes) or in :attr:`IngestResult.quarantine` with the
reasons, in Chinese and English, for each field at fault. ``rows_in == rows_out +
rows_quarantined`` always holds.
"""

from __future__ import annotations

import datetime as dt
import functools
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.errors
import pandera.pandas as pa
from pandas._typing import DtypeObj
from pandas.api.types import pandas_dtype

from risk.atomic import atomic_write
from risk.cells import write_csv
from risk.errors import ContractError
from risk.i18n import Lang, text
from risk.ids import ID_FIELDS, id_ok
from risk.readers import Mapping, load_mapping, map_headers, normalize_token, read_table
from risk.schema import (
    FALSE_WORDS,
    FIRST_DAY,
    LAST_DAY,
    TRUE_WORDS,
    Field,
    RecordKind,
    record_kind,
)

__all__ = [
    "ERROR_COLUMNS",
    "IngestResult",
    "contract_schema",
    "empty_frame",
    "ingest_file",
    "read_ledger",
    "validate_frame",
]

ERROR_COLUMNS = ["row", "field", "value", "reason_zh", "reason_en"]
MISSING_TOKENS = frozenset({"", "nan", "nat", "none", "null", "na", "n/a", "#n/a", "-", "--", "—"})
DATE_FORMATS = ("ISO8601", "%Y/%m/%d", "%Y年%m月%d日", "%Y.%m.%d", "%Y%m%d")
#: The dates a contract frame can hold (datetime64[ns]).
_FIRST_DATE, _LAST_DATE = pd.Timestamp.min.ceil("D"), pd.Timestamp.max.floor("D")
_VALUE_SHOWN = 80

Parsed = tuple[pd.Series, pd.Series]  # parsed values (NA where missing or bad), bad-value mask


@dataclass
class IngestResult:
    """What came of reading one ledger: the good rows, the quarantined rows and why."""

    kind: RecordKind
    frame: pd.DataFrame
    quarantine: pd.DataFrame
    errors: pd.DataFrame
    rows_in: int
    unknown_columns: list[str] = field(default_factory=list)

    @property
    def rows_out(self) -> int:
        return len(self.frame)

    @property
    def rows_quarantined(self) -> int:
        return len(self.quarantine)

    @property
    def duplicate_keys(self) -> int:
        return int((self.errors["reason_en"].str.startswith("duplicate")).sum())

    def summary(self, lang: Lang = "zh") -> str:
        line = text(
            "summary",
            lang,
            rows_in=self.rows_in,
            rows_out=self.rows_out,
            rows_quarantined=self.rows_quarantined,
        )
        if self.unknown_columns:
            line += "\n" + text("unknown_columns", lang, columns=", ".join(self.unknown_columns))
        return line


@functools.cache
@functools.cache
def contract_schema(kind: RecordKind, parsed: bool = False) -> pa.DataFrameSchema:
    """The pandera schema of a contract frame, derived from the field table.

    ``parsed``: for a frame fresh from this module's parsing, whose enum columns are
    categoricals of exactly the codes, so their values need no check of their own.
    """
    columns = {}
    for f in kind:
        checks = []
        if f.kind == "int":
            checks.append(pa.Check.in_range(f.low, f.high))
        elif f.kind == "string" and f.max_length:
            checks.append(pa.Check.str_length(max_value=f.max_length))
        elif f.kind == "enum" and not parsed:
            checks.append(pa.Check.isin(list(f.codes)))
        elif f.kind == "date":
            checks.append(pa.Check.in_range(pd.Timestamp(FIRST_DAY), pd.Timestamp(LAST_DAY)))
        columns[f.name] = pa.Column(f.dtype, checks=checks, nullable=not f.required)
    return pa.DataFrameSchema(columns, strict=True, ordered=True, name=kind.name)


def empty_frame(kind: RecordKind) -> pd.DataFrame:
    """A contract frame with no rows, every column in its contract dtype."""
    return pd.DataFrame({f.name: pd.Series(dtype=_dtype(f)) for f in kind})


def read_ledger(
    path: Path, kind: RecordKind | str, mapping: Path | None = None, sheet: str | int | None = None
) -> IngestResult:
    """Read a ledger file and validate it against the contract."""
    kind = record_kind(kind) if isinstance(kind, str) else kind
    return validate_frame(read_table(path, sheet), kind, load_mapping(mapping))


def ingest_file(
    path: Path,
    kind: RecordKind | str,
    out: Path,
    quarantine: Path | None = None,
    mapping: Path | None = None,
    sheet: str | int | None = None,
) -> IngestResult:
    """Read, validate and write: good rows to ``out`` (Parquet), bad rows to ``quarantine``.

    Both files are written atomically. The quarantine file (``.csv`` or ``.parquet``;
    by default ``<out>.quarantine.csv``) is written only when some row was quarantined.
    """
    result = read_ledger(path, kind, mapping, sheet)
    out = Path(out)
    quarantine = Path(quarantine) if quarantine else out.with_suffix(".quarantine.csv")
    with atomic_write(out) as tmp:
        result.frame.to_parquet(tmp, index=False)
    if result.rows_quarantined and quarantine.suffix.lower() == ".parquet":
        with atomic_write(quarantine) as tmp:
            result.quarantine.to_parquet(tmp, index=False)
    elif result.rows_quarantined:
        write_csv(result.quarantine, quarantine)
    elif quarantine.exists():
        quarantine.unlink()  # a stale quarantine from an earlier run would mislead
    return result


def validate_frame(
    raw: pd.DataFrame, kind: RecordKind, mapping: Mapping | None = None
) -> IngestResult:
    """Parse and check a raw frame (index = row numbers) against the contract."""
    mapping = mapping or Mapping()
    headers = map_headers(list(raw.columns), kind, mapping)
    if headers.missing_required:
        names = ", ".join(f"{n} ({kind[n].zh})" for n in headers.missing_required)
        raise ContractError(
            text("missing_columns", "zh", columns=names)
            + " / "
            + text("missing_columns", "en", columns=names)
        )
    source = raw.rename(columns=headers.rename)
    parsed: dict[str, pd.Series] = {}
    errors: list[pd.DataFrame] = []
    for f in kind:
        if f.name not in source:
            parsed[f.name] = pd.Series(pd.NA, index=raw.index, dtype=_dtype(f))
            continue
        values, bad = _parse(f, source[f.name], mapping.values.get(f.name, {}))
        parsed[f.name] = values
        if f.kind != "string":
            errors.append(
                _errors(f, source[f.name], bad, _PARSE_REASON[f.kind], allowed="/".join(f.codes))
            )
    frame = pd.DataFrame(parsed, index=raw.index, copy=False)
    for name in ID_FIELDS & set(source.columns):
        ids = parsed[name]
        # each distinct id checked once (a household id recurs in every wave and case)
        codes, distinct = pd.factorize(ids.fillna("x"))
        bad_id = ids.notna() & ~pd.Series(
            np.array([id_ok(v) for v in distinct], bool)[codes], index=ids.index
        )
        errors.append(_errors(kind[name], source[name], bad_id, "bad_id"))
    errors.append(_contract_errors(frame, kind, source))
    errors.append(_record_errors(frame, kind, source))
    error_frame = pd.concat(errors, ignore_index=True).drop_duplicates(["row", "field"])
    error_frame = error_frame.sort_values(["row", "field"], kind="stable").reset_index(drop=True)

    bad_rows = frame.index.isin(error_frame["row"])
    good = frame.loc[~bad_rows].reset_index(drop=True)
    quarantine = _quarantine(raw.loc[bad_rows], error_frame)
    return IngestResult(
        kind=kind,
        frame=good,
        quarantine=quarantine,
        errors=error_frame,
        rows_in=len(raw),
        unknown_columns=headers.unknown,
    )


# --- parsing one column -------------------------------------------------------------------


def _dtype(f: Field) -> DtypeObj:
    """The field's dtype; an enum's categories are its codes in table order."""
    return pandas_dtype(pd.CategoricalDtype(list(f.codes)) if f.kind == "enum" else f.dtype)


def _parse(f: Field, raw: pd.Series, value_aliases: dict[str, str]) -> Parsed:
    if f.kind == "string":
        return _parse_string(raw)
    typed = _already_typed(f, raw)
    if typed is not None:
        return typed, pd.Series(False, index=raw.index)
    parser = _PARSERS[f.kind]
    codes, uniques = pd.factorize(raw, use_na_sentinel=True)
    texts = pd.Series([_token(v) for v in uniques], dtype=object)
    values_u = parser(f, texts, pd.Series(uniques, dtype=object), value_aliases)
    # a missing marker ("", "NA", "-", ...) is missing unless the field reads it as a value
    blank = texts.isna() | texts.str.lower().isin(MISSING_TOKENS).astype(bool)
    bad_u = values_u.isna().to_numpy() & ~blank.to_numpy()
    values = values_u.astype(_dtype(f)).array.take(codes, allow_fill=True)
    bad = np.where(codes >= 0, np.append(bad_u, False)[codes], False)
    return pd.Series(values, index=raw.index), pd.Series(bad, index=raw.index)


def _already_typed(f: Field, raw: pd.Series) -> pd.Series | None:
    """The column in the field's dtype when it was read already typed and every value is
    one the text parser would accept as it stands (a contract Parquet file: integers,
    booleans, dates without time zone, categories that are all codes); else None."""
    dtype = raw.dtype
    if f.kind == "enum" and isinstance(dtype, pd.CategoricalDtype):
        return raw.astype(_dtype(f)) if set(dtype.categories) <= set(f.codes) else None
    if f.kind == "int" and pd.api.types.is_integer_dtype(dtype):
        out_of_int32 = (raw <= -(2**31)) | (raw >= 2**31)
        return None if out_of_int32.any() else raw.astype(_dtype(f))
    if f.kind == "bool" and pd.api.types.is_bool_dtype(dtype):
        return raw.astype(_dtype(f))
    if f.kind == "date" and isinstance(dtype, np.dtype) and dtype.kind == "M":
        return raw.astype("datetime64[ns]").dt.normalize()
    return None


def _token(value: object) -> str | None:
    """A cell as text for parsing, NFKC-normalised and stripped; None when the cell is empty."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT:
        return None
    if isinstance(value, (dt.date, np.datetime64, pd.Timestamp)):
        return str(value)
    return unicodedata.normalize("NFKC", str(value)).strip()


def _parse_string(raw: pd.Series) -> Parsed:
    values = raw.astype("string").str.strip()
    values = values.mask(values.str.lower().isin(MISSING_TOKENS))
    return values, pd.Series(False, index=raw.index)


def _parse_int(f: Field, texts: pd.Series, originals: pd.Series, _: dict[str, str]) -> pd.Series:
    numbers = pd.to_numeric(texts, errors="coerce")
    whole = numbers.where(
        np.isfinite(numbers) & (numbers == np.round(numbers)) & (numbers.abs() < 2**31)
    )
    return whole.astype("Int64")


def _parse_bool(f: Field, texts: pd.Series, originals: pd.Series, _: dict[str, str]) -> pd.Series:
    words = {w: True for w in TRUE_WORDS} | {w: False for w in FALSE_WORDS}
    words |= {"1.0": True, "0.0": False}
    return texts.str.lower().map(words).astype("boolean")


def _parse_date(f: Field, texts: pd.Series, originals: pd.Series, _: dict[str, str]) -> pd.Series:
    native = originals.map(lambda v: isinstance(v, (dt.date, pd.Timestamp, np.datetime64)))
    dates = pd.Series(pd.NaT, index=texts.index, dtype="datetime64[ns]")
    if native.any():
        dates[native] = _held(pd.to_datetime(originals[native], errors="coerce"))
    # ISO 8601 also reads a year alone ("2024") or a month; a date needs its day.
    whole = texts.str.match(r"\d{4}-\d{1,2}-\d{1,2}", na=False).astype(bool)
    for fmt in DATE_FORMATS:
        todo = dates.isna() & texts.notna() & ~native & (whole | (fmt != "ISO8601"))
        if not todo.any():
            continue
        dates[todo] = _held(pd.to_datetime(texts[todo], format=fmt, errors="coerce"))
    return dates.dt.normalize()


def _held(found: pd.Series) -> pd.Series:
    """Dates as datetime64[ns]; a year it cannot hold (1495, 3142) is not a date, not a crash."""
    return found.where((found >= _FIRST_DATE) & (found <= _LAST_DATE)).astype("datetime64[ns]")


def _parse_enum(
    f: Field, texts: pd.Series, originals: pd.Series, value_aliases: dict[str, str]
) -> pd.Series:
    spellings = {normalize_token(s): c.code for c in f.choices for s in c.spellings()}
    spellings |= {
        normalize_token(theirs): code for theirs, code in value_aliases.items() if code in f.codes
    }
    return texts.map(lambda t: spellings.get(normalize_token(t)) if isinstance(t, str) else None)


_PARSERS: dict[str, Callable[[Field, pd.Series, pd.Series, dict[str, str]], pd.Series]] = {
    "int": _parse_int,
    "bool": _parse_bool,
    "date": _parse_date,
    "enum": _parse_enum,
}


_PARSE_REASON = {"int": "not_int", "bool": "not_bool", "date": "not_date", "enum": "unknown_value"}


# --- checks on the parsed frame ---------------------------------------------------------


def _errors(f: Field, raw: pd.Series, bad: pd.Series, key: str, **params: object) -> pd.DataFrame:
    """One error row per bad cell: row number, field, the value as read, the reason in zh and en."""
    if not bad.any():
        return pd.DataFrame(columns=ERROR_COLUMNS)
    shown = raw[bad.to_numpy()].map(_show)
    return pd.DataFrame(
        {
            "row": shown.index.to_numpy(),
            "field": f.name,
            "value": shown.to_numpy(),
            "reason_zh": [text(key, "zh", value=v, **params) for v in shown],
            "reason_en": [text(key, "en", value=v, **params) for v in shown],
        }
    )


def _show(value: object) -> str:
    shown = "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)
    return shown if len(shown) <= _VALUE_SHOWN else shown[:_VALUE_SHOWN] + "…"


def _contract_errors(frame: pd.DataFrame, kind: RecordKind, source: pd.DataFrame) -> pd.DataFrame:
    """Required fields, ranges and lengths, checked by the pandera schema of the contract."""
    try:
        contract_schema(kind, parsed=True).validate(frame, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        cases = exc.failure_cases
    else:
        return pd.DataFrame(columns=ERROR_COLUMNS)
    found = []
    for (column, check), group in cases.groupby(["column", "check"], sort=False):
        f = kind[str(column)]
        bad = pd.Series(frame.index.isin(group["index"].astype(int)), index=frame.index)
        if check == "not_nullable":
            found.append(_errors(f, _column(source, f.name, frame), bad, "required"))
        elif f.kind == "int":
            found.append(_errors(f, source[f.name], bad, "out_of_range", low=f.low, high=f.high))
        elif f.kind == "string":
            found.append(_errors(f, source[f.name], bad, "too_long", high=f.max_length))
        elif f.kind == "date":
            range_ = {"low": FIRST_DAY, "high": LAST_DAY}
            found.append(_errors(f, _column(source, f.name, frame), bad, "out_of_range", **range_))
        else:  # a dtype or value-set failure here would be a parsing bug, not a data problem
            raise ContractError(
                f"{kind.name}.{f.name}: contract check {check} failed after parsing"
            )
    return pd.concat(found, ignore_index=True)


def _record_errors(frame: pd.DataFrame, kind: RecordKind, source: pd.DataFrame) -> pd.DataFrame:
    """Checks across fields of a row, and across rows: duplicate keys, outcome dates."""
    found = [_duplicate_errors(frame, kind, source)]
    if "outcome" in kind:
        no_date = frame["outcome"].notna() & frame["outcome_at"].isna()
        before = (frame["outcome_at"] < frame["opened_at"]).fillna(False).astype(bool)
        outcome_at = _column(source, "outcome_at", frame)
        found.append(_errors(kind["outcome_at"], outcome_at, no_date, "outcome_without_date"))
        found.append(_errors(kind["outcome_at"], outcome_at, before, "outcome_before_opened"))
    return pd.concat(found, ignore_index=True)


def _duplicate_errors(frame: pd.DataFrame, kind: RecordKind, source: pd.DataFrame) -> pd.DataFrame:
    key = list(kind.key)
    keyed = frame[key].dropna()
    dup = keyed.duplicated(keep="first")
    if not dup.any():
        return pd.DataFrame(columns=ERROR_COLUMNS)
    first_row = keyed.reset_index().groupby(key, sort=False)["row"].transform("first")
    first_row.index = keyed.index
    field_name = key[0]
    shown = frame.loc[dup[dup].index, key].astype(str).agg(" ".join, axis=1)
    label = "+".join(key)
    return pd.DataFrame(
        {
            "row": shown.index.to_numpy(),
            "field": field_name,
            "value": shown.to_numpy(),
            "reason_zh": [
                text("duplicate_key", "zh", key=label, first=first_row[r]) for r in shown.index
            ],
            "reason_en": [
                text("duplicate_key", "en", key=label, first=first_row[r]) for r in shown.index
            ],
        }
    )


def _column(source: pd.DataFrame, name: str, frame: pd.DataFrame) -> pd.Series:
    return source[name] if name in source else frame[name]


def _quarantine(raw_bad: pd.DataFrame, errors: pd.DataFrame) -> pd.DataFrame:
    """The bad rows as they were read, with their row number and every reason."""
    out = raw_bad.astype("string")
    out.insert(0, "_row", out.index.to_numpy())
    if not len(errors):
        none = np.array([], dtype=object)
        return out.assign(_reason_zh=none, _reason_en=none).reset_index(drop=True)
    joined = (
        errors.assign(
            zh=errors["field"] + "：" + errors["reason_zh"],
            en=errors["field"] + ": " + errors["reason_en"],
        )
        .groupby("row", sort=True)
        .agg(reason_zh=("zh", "；".join), reason_en=("en", "; ".join))
    )
    out["_reason_zh"] = joined["reason_zh"].reindex(out.index).to_numpy()
    out["_reason_en"] = joined["reason_en"].reindex(out.index).to_numpy()
    return out.reset_index(drop=True)
