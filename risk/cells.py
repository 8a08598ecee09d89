"""Spreadsheet-safe cells for every CSV or XLSX the product writes (OWASP's CSV-injection
rule): a text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
is written with a leading ``'``, so a spreadsheet shows it as text instead of running it.
A plain number (``-3``, ``+1.5``) is left as it is: a spreadsheet reads it as a number."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from risk.atomic import atomic_write

__all__ = ["FORMULA_START", "neutral", "neutral_frame", "write_csv"]

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def neutral(value: object) -> object:
    """``value`` as a spreadsheet will not run it."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def neutral_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell and header neutral."""
    out = frame.rename(columns=lambda c: neutral(str(c)))
    for name in out.columns:
        if out[name].dtype == object or isinstance(out[name].dtype, pd.StringDtype):
            out[name] = out[name].map(neutral, na_action="ignore")
    return out


def write_csv(frame: pd.DataFrame, path: Path, encoding: str = "utf-8-sig") -> None:
    """Write ``frame`` (no index) to ``path`` atomically, every cell neutral."""
    with atomic_write(Path(path)) as tmp:
        neutral_frame(frame).to_csv(tmp, index=False, encoding=encoding)
