"""The triage model as one MLflow pyfunc: what the service, batch scoring and Spark load.

The input is a frame of scoring units: contract records (survey and/or case fields) as a
user writes them, ints, ISO dates and all, optionally with the ledger-history columns.
Every column is optional: a missing field is a missing value, missing history is unknown
history, a unit without ``as_of`` is scored as of its own date (:func:`conform_units`).
The output is :meth:`TriageModel.predict_frame`'s frame. ``params={"reasons": False}``
skips the reasons for the fastest probabilities-and-tiers path.

The signature declares the outputs and the ``reasons`` parameter but no input schema, and
the logged input example shows a case. MLflow's column types refuse what users naturally
send (``int64`` for a double, a missing value in a long or a boolean, an ISO string or a
category for a datetime or a string), and its untyped ``Any`` columns are checked value by
value (several seconds per 100,000 units, more than scoring them); the model's own
conform step checks the values against the contract instead, column by column, and names
the row, field and value of one it cannot read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import joblib
import mlflow
import numpy as np
import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.models import ModelSignature
from mlflow.models.model import ModelInfo
from mlflow.pyfunc import PythonModel, PythonModelContext
from mlflow.types import ColSpec, DataType, ParamSchema, ParamSpec, Schema

from risk.errors import ContractError
from risk.features.units import ID_COLUMNS, UNIT_COLUMNS, conform_units
from risk.models.triage import TriageModel

__all__ = ["ARTIFACT", "TriagePyfunc", "input_example", "log_model", "save_artifact", "signature"]

#: The artifact key under which the pickled TriageModel travels with the pyfunc.
ARTIFACT = "triage"


class TriagePyfunc(PythonModel):
    """Loads the pickled :class:`TriageModel` and scores frames of units."""

    def load_context(self, context: PythonModelContext) -> None:
        self.model: TriageModel = joblib.load(context.artifacts[ARTIFACT])

    def predict(
        self,
        context: PythonModelContext | None,
        model_input: pd.DataFrame,
        params: dict[str, bool] | None = None,
    ) -> pd.DataFrame:
        reasons = bool((params or {}).get("reasons", True))
        try:
            units = conform_units(model_input)
        except ContractError as exc:  # MLflow's own kind: the scoring server shows its message
            raise MlflowException.invalid_parameter_value(str(exc)) from exc
        return self.model.predict_frame(units, reasons=reasons)


def log_model(
    model: TriageModel, units: pd.DataFrame, folder: Path, registered_model_name: str | None
) -> ModelInfo:
    """Log ``model`` as the pyfunc ``model`` of the active run (registered under
    ``registered_model_name`` unless None), with its signature and, from ``units``, an
    input example that shows a case; ``folder`` holds the pickled artifact meanwhile."""
    example = input_example(units)
    return mlflow.pyfunc.log_model(
        name="model",
        python_model=str(Path(__file__).with_name("pyfunc_model.py")),
        artifacts={ARTIFACT: str(save_artifact(model, folder / "triage.joblib"))},
        signature=signature(model, example),
        input_example=example,
        registered_model_name=registered_model_name,
    )


def signature(model: TriageModel, example: pd.DataFrame) -> ModelSignature:
    """The output columns and types of ``model``'s answer for ``example`` (the reasons'
    columns optional: ``reasons=False`` drops them) and the ``reasons`` parameter."""
    units = conform_units(example)
    answer = model.predict_frame(units)
    lean = model.predict_frame(units, reasons=False).columns
    outputs = Schema(
        [
            ColSpec(
                _output_type(answer[name]),
                str(name),
                required=name in lean and name not in ID_COLUMNS,
            )
            for name in answer
        ]
    )
    params = ParamSchema([ParamSpec("reasons", DataType.boolean, True)])
    return ModelSignature(inputs=None, outputs=outputs, params=params)


def input_example(units: pd.DataFrame) -> pd.DataFrame:
    """The first case among ``units`` as a user writes it: its recorded fields (and
    history) in plain types, whole numbers as ints and dates as ISO strings."""
    cases = units[units["unit"] == "case"]
    row = (cases if len(cases) else units).iloc[0]
    record = {
        name: _plain(row[name]) for name in UNIT_COLUMNS if name in row and pd.notna(row[name])
    }
    return pd.DataFrame([record])


def save_artifact(model: TriageModel, path: Path) -> Path:
    """Pickle the model (compressed) for the pyfunc's artifacts."""
    joblib.dump(model, path, compress=3)
    return path


def _plain(value: Any) -> Any:
    """A unit's value as a user writes it: an ISO date, a bool, an int (every number of a
    unit is a whole one: counts, scores, days) or a string."""
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, float, np.number)):
        return int(value)
    return str(value)


def _output_type(column: pd.Series) -> DataType:
    """The MLflow type of one output column (categories of labels are strings)."""
    kind = column.dtype.kind
    if kind == "M":
        return DataType.datetime
    return {"f": DataType.double, "i": DataType.long, "b": DataType.boolean}.get(
        kind, DataType.string
    )
