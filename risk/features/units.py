"""Scoring units: a household as of a date, with its latest survey and (if any) its case.

Training units are every case as of ``opened_at`` and every survey wave as of
``survey_date`` (DATA_CONTRACT.md). A unit row holds the unit's identity, the raw
survey fields of the latest wave on or before the date, the raw case fields, and the
ledger history known on the date (:mod:`risk.features.history`). Batch units, one per
household as of a date, are :func:`risk.features.asof.household_units`; one unit as a
dict (the service's) is :func:`unit_record`, with the same history definitions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.api.types import pandas_dtype

from risk.errors import ContractError
from risk.features.history import HISTORY_COLUMNS, add_history, history_one
from risk.i18n import both
from risk.schema import CASE, HOUSEHOLD_SURVEY

__all__ = [
    "CASE_COLUMNS",
    "ID_COLUMNS",
    "SURVEY_COLUMNS",
    "UNIT_COLUMNS",
    "build_units",
    "case_units",
    "conform_units",
    "frame_from_arrow",
    "survey_units",
    "unit_record",
]

ID_COLUMNS = ["unit", "household_id", "case_id", "as_of"]
SURVEY_COLUMNS = [f.name for f in HOUSEHOLD_SURVEY if f.name != "household_id"]
CASE_COLUMNS = [f.name for f in CASE.scoring_fields() if f.name not in ("household_id", "case_id")]
UNIT_COLUMNS = ID_COLUMNS + SURVEY_COLUMNS + CASE_COLUMNS + HISTORY_COLUMNS


def case_units(households: pd.DataFrame, cases: pd.DataFrame) -> pd.DataFrame:
    """One unit per case, as of ``opened_at``, joined to the latest survey on or before it."""
    left = cases[["household_id", "case_id", *CASE_COLUMNS]].assign(as_of=cases["opened_at"])
    left = left.sort_values("as_of", kind="stable")
    right = households[["household_id", *SURVEY_COLUMNS]].dropna(subset=["survey_date"])
    right = right.sort_values("survey_date", kind="stable")
    joined = pd.merge_asof(
        left,
        right,
        left_on="as_of",
        right_on="survey_date",
        by="household_id",
        direction="backward",
        allow_exact_matches=True,
    )
    return joined.assign(unit="case")


def survey_units(households: pd.DataFrame) -> pd.DataFrame:
    """One unit per survey wave, as of ``survey_date``, with no case."""
    units = households[["household_id", *SURVEY_COLUMNS]].assign(
        unit="survey",
        case_id=pd.Series(pd.NA, index=households.index, dtype="string"),
        as_of=households["survey_date"],
    )
    return units


def build_units(households: pd.DataFrame, cases: pd.DataFrame, which: str = "all") -> pd.DataFrame:
    """Training units (``which``: all, case or survey) with ledger history, in UNIT_COLUMNS order.

    Rows are ordered by as-of date, then household, then case, so the same ledger always
    gives the same frame.
    """
    parts = []
    if which in ("all", "case"):
        parts.append(case_units(households, cases))
    if which in ("all", "survey"):
        parts.append(survey_units(households))
    if not parts:
        raise ValueError(f"which: expected all, case or survey, got {which!r}")
    units = pd.concat([_conform(p) for p in parts], ignore_index=True)
    units = units.sort_values(
        ["as_of", "household_id", "unit", "case_id"],
        kind="stable",
        na_position="first",
        ignore_index=True,
    )
    return add_history(units, cases)


def unit_record(
    as_of: Any, *fields: Mapping[str, Any], cases: Iterable[Mapping[str, Any]] | None = None
) -> dict[str, Any]:
    """One unit as a dict of contract fields: ``as_of``, then each of ``fields`` in turn (a
    later one's over an earlier one's: a survey wave, a case, what a request sends), then,
    when the household's ``cases`` are known, its ledger history as of the date
    (:func:`risk.features.history.history_one`). Without ``cases`` the history is missing
    (a unit sent without a household), not zero."""
    record: dict[str, Any] = {"as_of": as_of}
    for given in fields:
        record.update(given)
    if cases is not None:
        record.update(history_one(as_of, cases, record.get("survey_date")))
    return record


def _conform(part: pd.DataFrame, names: list[str] | None = None) -> pd.DataFrame:
    """Every unit column (or each of ``names``) present, in order, in its contract dtype."""
    out = {}
    for name in names or ID_COLUMNS + SURVEY_COLUMNS + CASE_COLUMNS:
        dtype: Any = _UNIT_DTYPES[name]
        if name not in part:
            out[name] = pd.Series(pd.NA, index=part.index, dtype=dtype)
        else:  # (a column already in its dtype is taken as it is: astype would copy it)
            column = part[name]
            out[name] = column if column.dtype == dtype else _cast(name, column, dtype)
    return pd.DataFrame(out, copy=False)


def conform_units(frame: pd.DataFrame) -> pd.DataFrame:
    """A units frame from outside (the pyfunc's input): every unit column, contract dtypes.

    Values arrive in their natural types: whole numbers as ints or floats, dates as dates
    or ISO strings, yes/no as bools, choices as their contract codes; a value that is none
    of these is a :class:`~risk.errors.ContractError` naming its row, field and value.
    Absent columns are missing values, absent history columns unknown history (NaN). A
    unit without ``as_of`` is scored as of its own date: ``opened_at`` for a case,
    ``survey_date`` otherwise, as training units are.
    """
    out = _conform(frame)
    for name in HISTORY_COLUMNS:
        out[name] = _numbers(name, frame[name]) if name in frame else np.nan
    undated = out["as_of"].isna()
    if undated.any():
        own = out["opened_at"].where(out["opened_at"].notna(), out["survey_date"])
        out["as_of"] = out["as_of"].where(~undated, own)
    return out


def _cast(name: str, column: pd.Series, dtype: Any) -> pd.Series:
    """``column`` in the contract ``dtype`` of field ``name``; a value it cannot hold is a
    ContractError (a choice outside the contract's codes included)."""
    if (
        isinstance(dtype, pd.CategoricalDtype)
        and not (known := column.isin(dtype.categories) | column.isna()).all()
    ):
        raise _bad_value(name, column[~known], dtype)
    try:
        return column.astype(dtype)
    except (TypeError, ValueError) as exc:
        raise _bad_value(name, column, dtype) from exc


def _numbers(name: str, column: pd.Series) -> pd.Series:
    """A history column as float64 (NaN for unknown); a value that is not a number is an error."""
    if column.dtype.kind in "fiu":  # (numbers already: the batch engine's columns)
        return column.astype("float64")
    numbers = pd.to_numeric(column, errors="coerce").astype("float64")
    if (lost := numbers.isna() & column.notna()).any():
        raise _bad_value(name, column[lost], np.dtype("float64"))
    return numbers


def _bad_value(name: str, column: pd.Series, dtype: Any) -> ContractError:
    """The error naming the first value of ``column`` that ``dtype`` cannot hold."""
    row, value = _first_bad(column, dtype)
    allowed = ", ".join(map(str, getattr(dtype, "categories", ())))
    zh, en = both(_MESSAGE_OF_KIND[_KINDS.get(name, "int")], value=value, allowed=allowed)
    return ContractError(f"row {row}, {name}: {zh} / {en}")


def _first_bad(column: pd.Series, dtype: Any) -> tuple[Any, Any]:
    for row, value in column.items():
        if pd.isna(value):
            continue
        if isinstance(dtype, pd.CategoricalDtype):
            if value not in dtype.categories:
                return row, value
            continue
        try:
            pd.Series([value], dtype=object).astype(dtype)
        except (TypeError, ValueError):
            return row, value
    return next(iter(column.items()))


def frame_from_arrow(table: pa.Table, names: list[str]) -> pd.DataFrame:
    """The columns ``names`` of contract records in Arrow, in the contract's types (a Spark
    group's survey waves or cases), as a contract frame: each enum column read straight into
    its contract categories (anything else is missing), an absent column missing."""
    table = table.select([name for name in names if name in table.column_names])
    enums = {
        name: dtype
        for name in table.column_names
        if isinstance(dtype := _UNIT_DTYPES.get(name), pd.CategoricalDtype)
    }
    frame = table.drop_columns(list(enums)).to_pandas(
        types_mapper=_NULLABLE.get, date_as_object=False
    )
    for name, dtype in enums.items():
        codes = pc.index_in(table[name], value_set=pa.array(dtype.categories, pa.string()))
        frame[name] = pd.Categorical.from_codes(codes.fill_null(-1).to_numpy(), dtype=dtype)
    return _conform(frame, names)


#: Arrow types read as the contract's nullable pandas dtypes.
_NULLABLE = {
    pa.int32(): pd.Int32Dtype(),
    pa.bool_(): pd.BooleanDtype(),
    pa.string(): pd.StringDtype(),
    pa.large_string(): pd.StringDtype(),
}


def _unit_dtypes() -> dict[str, object]:
    dtypes: dict[str, object] = {"unit": "string", "as_of": "datetime64[ns]"}
    for kind in (HOUSEHOLD_SURVEY, CASE):
        for f in kind:
            dtypes[f.name] = pd.CategoricalDtype(list(f.codes)) if f.kind == "enum" else f.dtype
    return {name: pandas_dtype(dtype) for name, dtype in dtypes.items()}


_UNIT_DTYPES = _unit_dtypes()
#: Each unit field's contract kind (history columns are numbers), for the message of a bad value.
_KINDS = {"unit": "string", "as_of": "date"} | {
    f.name: f.kind for k in (HOUSEHOLD_SURVEY, CASE) for f in k
}
_MESSAGE_OF_KIND = {
    "int": "not_int",
    "bool": "not_bool",
    "date": "not_date",
    "enum": "unknown_value",
}
