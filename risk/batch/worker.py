"""One chunk of households from raw survey rows to output rows: what each worker process runs.

Each task carries the pickled model (tens of kilobytes); a worker unpickles it once and
keeps it while the tasks carry the same bytes. Per chunk it checks the survey rows against
the contract, builds one unit per household as of the date with the chunk's cases, and
scores the units as the pyfunc's ``predict`` does (:class:`PyfuncScorer`: the same model
object and the same two calls, without importing MLflow into every worker, which would
add most of a second to each one's start).
"""

from __future__ import annotations

import datetime as dt
import pickle
from dataclasses import dataclass

import pandas as pd
import pyarrow as pa

from risk.batch.output import output_table
from risk.features.asof import household_units
from risk.features.units import conform_units
from risk.heap import freeze_long_lived
from risk.ingest import validate_frame
from risk.models.triage import TriageModel
from risk.schema import HOUSEHOLD_SURVEY

__all__ = [
    "ChunkResult",
    "ChunkTask",
    "PyfuncScorer",
    "loaded_pyfunc",
    "pyfunc_of",
    "score_chunk",
]


@dataclass
class ChunkTask:
    households: pa.Table
    first_row: int
    cases: pd.DataFrame
    as_of: dt.date
    model: bytes


@dataclass
class ChunkResult:
    table: pa.Table | None
    rows_in: int
    quarantine: pd.DataFrame
    errors: pd.DataFrame


class PyfuncScorer:
    """``predict`` of :class:`risk.models.pyfunc.TriagePyfunc` around a loaded TriageModel;
    a test pins the two to the same output."""

    def __init__(self, model: TriageModel) -> None:
        self.model = model

    def predict(
        self, context: object, model_input: pd.DataFrame, params: dict[str, bool] | None = None
    ) -> pd.DataFrame:
        reasons = bool((params or {}).get("reasons", True))
        return self.model.predict_frame(conform_units(model_input), reasons=reasons)


_LOADED: tuple[bytes, PyfuncScorer] | None = None


def pyfunc_of(model: TriageModel) -> PyfuncScorer:
    """The pyfunc's scoring around a TriageModel loaded from MLflow."""
    return PyfuncScorer(model)


def loaded_pyfunc(model: bytes) -> PyfuncScorer:
    """The scorer of the pickled model ``model``, unpickled once per worker process (either
    engine's) and kept while the tasks carry the same bytes."""
    global _LOADED
    if _LOADED is None or _LOADED[0] != model:
        _LOADED = (model, pyfunc_of(pickle.loads(model)))
        freeze_long_lived()
    return _LOADED[1]


def score_chunk(task: ChunkTask, pyfunc: PyfuncScorer | None = None) -> ChunkResult:
    """Check, build and score one chunk (with ``pyfunc``, or the task's model)."""
    model = pyfunc or loaded_pyfunc(task.model)
    raw = task.households.to_pandas()
    raw.index = pd.RangeIndex(task.first_row, task.first_row + len(raw), name="row")
    checked = validate_frame(raw, HOUSEHOLD_SURVEY)
    units = household_units(checked.frame, task.cases, task.as_of)
    table = None
    if len(units):
        table = output_table(model.predict(None, units))
    return ChunkResult(table, len(raw), checked.quarantine, checked.errors)
