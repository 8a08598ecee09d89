"""Batch scoring of whole populations: a local streaming engine and a Spark engine.

Its names are imported on first use, so that :mod:`risk.batch.pool` can start the worker
processes before the numeric libraries are imported here.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from risk.batch.errors import InvalidLedger
    from risk.batch.local import BatchReport, quarantine_path, score_local
    from risk.batch.output import OUTPUT_COLUMNS, OUTPUT_SCHEMA

__all__ = [
    "OUTPUT_COLUMNS",
    "OUTPUT_SCHEMA",
    "BatchReport",
    "InvalidLedger",
    "quarantine_path",
    "score_local",
]

_HOME = {
    "InvalidLedger": "risk.batch.errors",
    "BatchReport": "risk.batch.local",
    "quarantine_path": "risk.batch.local",
    "score_local": "risk.batch.local",
    "OUTPUT_COLUMNS": "risk.batch.output",
    "OUTPUT_SCHEMA": "risk.batch.output",
}


def __getattr__(name: str) -> object:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(_HOME[name]), name)
