"""The ledgers as a county sends them: Chinese headers, Chinese values and aliases, mixed spellings.

Every cell stays valid: enum values are spellings ingest accepts (``Choice.spellings()``
but the code), yes/no and dates use formats ingest reads, blanks are empty cells. So
ingesting a messy CSV gives back the clean frame.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from risk.atomic import atomic_write
from risk.ingest import MISSING_TOKENS
from risk.readers import normalize_token
from risk.schema import CASE, HOUSEHOLD_SURVEY, Field, RecordKind

BOOL_STYLES = (("否", "是"), ("无", "有"), ("N", "Y"), ("0", "1"), ("false", "true"))
DATE_STYLES = ("{y}-{m:02d}-{d:02d}", "{y}/{m}/{d}", "{y}年{m}月{d}日")
FILES = (("households", HOUSEHOLD_SURVEY, "gb18030"), ("cases", CASE, "utf-8-sig"))


def enum_spellings(f: Field) -> list[tuple[str, ...]]:
    """Per code of ``f``: the spellings a county may use instead of the code.

    A spelling is left out if it is the code itself, reads as a blank, or could be read
    as another value of the same field.
    """
    owners: dict[str, set[str]] = {}
    for choice in f.choices:
        for spelling in choice.spellings():
            owners.setdefault(normalize_token(spelling), set()).add(choice.code)
    out = []
    for choice in f.choices:
        usable = tuple(
            dict.fromkeys(
                s
                for s in choice.spellings()
                if normalize_token(s) != normalize_token(choice.code)
                and normalize_token(s) not in MISSING_TOKENS
                and owners[normalize_token(s)] == {choice.code}
            )
        )
        out.append(usable or (choice.zh,))
    return out


def _enum_cells(rng: np.random.Generator, f: Field, column: pd.Series) -> np.ndarray:
    spellings = enum_spellings(f)
    width = max(len(s) for s in spellings)
    table = np.array(
        [[*s, *([""] * (width - len(s)))] for s in spellings] + [[""] * width], dtype=object
    )
    counts = np.array([len(s) for s in spellings] + [1])
    codes = column.cat.codes.to_numpy()  # -1 (blank) picks the last, empty row
    pick = (rng.random(len(codes)) * counts[codes]).astype(np.int64)
    return table[codes, pick]


def _bool_cells(rng: np.random.Generator, column: pd.Series) -> np.ndarray:
    table = np.array([*BOOL_STYLES, ("", "")], dtype=object)
    style = rng.integers(0, len(BOOL_STYLES), len(column))
    blank = column.isna().to_numpy()
    values = column.fillna(False).to_numpy(dtype=bool).astype(np.int64)
    return table[np.where(blank, len(BOOL_STYLES), style), values]


def _date_cells(rng: np.random.Generator, column: pd.Series) -> np.ndarray:
    blank = column.isna().to_numpy()
    days = column.to_numpy(dtype="datetime64[D]")
    unique, inverse = np.unique(days[~blank], return_inverse=True)
    table = np.array(
        [
            [style.format(y=d.year, m=d.month, d=d.day) for style in DATE_STYLES]
            for d in pd.DatetimeIndex(unique)
        ],
        dtype=object,
    ).reshape(-1, len(DATE_STYLES))
    out = np.full(len(column), "", dtype=object)
    out[~blank] = table[inverse, rng.integers(0, len(DATE_STYLES), len(inverse))]
    return out


def _int_cells(column: pd.Series) -> np.ndarray:
    blank = column.isna().to_numpy()
    values = column.fillna(0).to_numpy(dtype=np.int64)
    low = int(values.min(initial=0))
    table = np.array([str(v) for v in range(low, int(values.max(initial=0)) + 1)], dtype=object)
    return np.where(blank, "", table[values - low])


def _string_cells(column: pd.Series) -> np.ndarray:
    return column.fillna("").to_numpy(dtype=object)


def messy_frame(rng: np.random.Generator, kind: RecordKind, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with Chinese headers and every cell spelled the way a county might."""
    cells = {}
    for f in kind:
        column = frame[f.name]
        if f.kind == "enum":
            cells[f.zh] = _enum_cells(rng, f, column)
        elif f.kind == "bool":
            cells[f.zh] = _bool_cells(rng, column)
        elif f.kind == "date":
            cells[f.zh] = _date_cells(rng, column)
        elif f.kind == "int":
            cells[f.zh] = _int_cells(column)
        else:
            cells[f.zh] = _string_cells(column)
    return pd.DataFrame(cells)


def write_messy(
    out_dir: Path, households: pd.DataFrame, cases: pd.DataFrame, seed: int
) -> dict[str, int]:
    """Write households.csv (GB18030) and cases.csv (UTF-8 with BOM); rows per file."""
    rng = np.random.default_rng((seed, 1))
    counts = {}
    for (name, kind, encoding), frame in zip(FILES, (households, cases), strict=True):
        with atomic_write(Path(out_dir) / f"{name}.csv") as tmp:
            messy_frame(rng, kind, frame).to_csv(tmp, index=False, encoding=encoding)
        counts[f"{name}.csv"] = len(frame)
    return counts
