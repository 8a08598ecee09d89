"""Batch scoring of whole populations: a local streaming engine and a Spark engine."""

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
