"""What batch scoring writes per household: the columns, their Arrow types, the conversion.

Both engines write these columns in this order, so their outputs compare column by column.
Labels are dictionary-encoded strings, dates are calendar dates.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

__all__ = [
    "DICTIONARY_COLUMNS",
    "OUTPUT_COLUMNS",
    "OUTPUT_SCHEMA",
    "REASONS",
    "output_frame",
    "output_table",
]

#: How many reasons per household the output carries (code and Chinese label each).
REASONS = 3

_LABEL = pa.dictionary(pa.int32(), pa.string())
OUTPUT_SCHEMA = pa.schema(
    [
        ("household_id", pa.string()),
        ("unit", _LABEL),
        ("case_id", pa.string()),
        ("as_of", pa.date32()),
        ("decision", _LABEL),
        ("tier", _LABEL),
        ("model_tier", _LABEL),
        ("p_green", pa.float64()),
        ("p_yellow", pa.float64()),
        ("p_red", pa.float64()),
        ("flags", _LABEL),
        *[(f"reason_{j}_{part}", _LABEL) for j in range(1, REASONS + 1) for part in ("code", "zh")],
        ("prediction_set", _LABEL),
        ("review_recommended", pa.bool_()),
        ("follow_up_date", pa.date32()),
        ("model_version", _LABEL),
    ]
)
OUTPUT_COLUMNS = OUTPUT_SCHEMA.names
#: Columns worth dictionary pages in Parquet: the labels. (Ids are unique and numbers
#: nearly so; trying a dictionary on them costs a third of the writing and grows the file.)
DICTIONARY_COLUMNS = [f.name for f in OUTPUT_SCHEMA if pa.types.is_dictionary(f.type)]


def output_frame(scored: pd.DataFrame) -> pd.DataFrame:
    """The output columns of a :meth:`TriageModel.predict_frame` result (reasons included);
    a reason the model does not give (fewer terms than REASONS) is missing."""
    out = {}
    for name in OUTPUT_COLUMNS:
        out[name] = scored[name] if name in scored else pd.Series(None, index=scored.index)
    return pd.DataFrame(out, index=scored.index, copy=False)


def output_table(scored: pd.DataFrame) -> pa.Table:
    """:func:`output_frame` as an Arrow table in OUTPUT_SCHEMA (one type whatever the chunk)."""
    frame = output_frame(scored)
    return pa.Table.from_arrays(
        [_array(frame[f.name], f.type) for f in OUTPUT_SCHEMA], schema=OUTPUT_SCHEMA
    )


def _array(column: pd.Series, kind: pa.DataType) -> pa.Array:
    if pa.types.is_dictionary(kind):
        if isinstance(column.dtype, pd.CategoricalDtype):
            codes = column.cat.codes.to_numpy().astype(np.int32)
            labels = pa.array(column.cat.categories.astype(str).to_numpy(), pa.string())
            indices = pa.array(codes, mask=codes < 0)
            return pa.DictionaryArray.from_arrays(indices, labels)
        plain = pa.array(column.astype(object).to_numpy(), pa.string(), from_pandas=True)
        return plain.dictionary_encode().cast(kind)
    if pa.types.is_date32(kind):
        return pa.array(pd.to_datetime(column).to_numpy(dtype="datetime64[D]"), pa.date32())
    return pa.array(column.to_numpy(), kind, from_pandas=True)
