"""Contract frames from arrays: each field in its contract dtype, fields in table order."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from pandas.api.extensions import ExtensionArray

from risk.schema import Field, RecordKind


def enum_dtype(f: Field) -> pd.CategoricalDtype:
    return pd.CategoricalDtype(list(f.codes))


def enum_column(
    f: Field, positions: np.ndarray, missing: np.ndarray | None = None
) -> pd.Categorical:
    """Positions in ``f.codes`` as a contract categorical; -1 or ``missing`` → NA."""
    codes = np.asarray(positions, dtype=np.int16)
    if missing is not None:
        codes = np.where(missing, -1, codes)
    return pd.Categorical.from_codes(codes, dtype=enum_dtype(f))


def bool_column(values: np.ndarray, missing: np.ndarray | None = None) -> ExtensionArray:
    mask = np.zeros(len(values), bool) if missing is None else np.asarray(missing, bool)
    return pd.arrays.BooleanArray(np.asarray(values, bool), mask.copy())


def int_column(values: np.ndarray, missing: np.ndarray | None = None) -> ExtensionArray:
    mask = np.zeros(len(values), bool) if missing is None else np.asarray(missing, bool)
    return pd.arrays.IntegerArray(np.asarray(values, np.int32), mask.copy())


def date_column(values: np.ndarray, missing: np.ndarray | None = None) -> np.ndarray:
    """``datetime64[ns]`` values, NaT where missing."""
    out = np.asarray(values, dtype="datetime64[ns]").copy()
    if missing is not None:
        out[np.asarray(missing, bool)] = np.datetime64("NaT")
    return out


def id_strings(prefix: str, count: int) -> ExtensionArray:
    """Pseudonymous ids ``<prefix>0000001`` … as a string array."""
    width = max(7, len(str(count)))
    return pd.array([f"{prefix}{i:0{width}d}" for i in range(1, count + 1)], dtype="string")


def contract_frame(kind: RecordKind, columns: Mapping[str, object], rows: int) -> pd.DataFrame:
    """A frame with exactly ``kind``'s fields in order, each in its contract dtype."""
    missing = [f.name for f in kind if f.name not in columns]
    extra = sorted(set(columns) - set(kind.names))
    if missing or extra:
        raise KeyError(f"{kind.name}: missing columns {missing}, unexpected columns {extra}")
    frame = pd.DataFrame({f.name: columns[f.name] for f in kind}, index=pd.RangeIndex(rows))
    return frame.astype({f.name: enum_dtype(f) if f.kind == "enum" else f.dtype for f in kind})


def recorded_column(f: Field, values: np.ndarray, missing: np.ndarray | None = None) -> object:
    """An enum, bool or int field's column from true values, NA where not recorded."""
    if f.kind == "enum":
        return enum_column(f, values, missing)
    if f.kind == "bool":
        return bool_column(values, missing)
    if f.kind == "int":
        return int_column(values, missing)
    raise TypeError(f"{f.name}: no recorded column for kind {f.kind!r}")
