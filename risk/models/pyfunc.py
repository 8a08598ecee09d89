"""The triage model as one MLflow pyfunc: what the service, batch scoring and Spark load.

The input is a frame of scoring units (contract fields of the survey and/or the case,
plus the ledger-history columns); every column is optional, a missing one is a missing
value. The output is :meth:`TriageModel.predict_frame`'s frame. ``params={"reasons":
False}`` skips the reasons for the fastest probabilities-and-tiers path.
"""

from __future__ import annotations

from pathlib import Path

import joblib
import pandas as pd
from mlflow.models import ModelSignature
from mlflow.pyfunc import PythonModel, PythonModelContext
from mlflow.types import ColSpec, DataType, ParamSchema, ParamSpec, Schema, TensorSpec

from risk.features.history import HISTORY_COLUMNS
from risk.features.units import UNIT_COLUMNS, conform_units
from risk.models.triage import TriageModel
from risk.schema import all_fields

__all__ = ["ARTIFACT", "TriagePyfunc", "input_example", "signature"]

#: The artifact key under which the pickled TriageModel travels with the pyfunc.
ARTIFACT = "triage"

_MLFLOW_TYPES = {
    "string": DataType.string,
    "enum": DataType.string,
    "date": DataType.datetime,
    "int": DataType.double,
    "bool": DataType.boolean,
}


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
        return self.model.predict_frame(conform_units(model_input), reasons=reasons)


def signature(output: pd.DataFrame | None = None) -> ModelSignature:
    """Every unit column, optional, typed from the contract table."""
    fields = {f.name: f for _, f in all_fields()}
    specs: list[ColSpec | TensorSpec] = []
    for name in UNIT_COLUMNS:
        if name in HISTORY_COLUMNS:
            specs.append(ColSpec(DataType.double, name, required=False))
        elif name == "unit":
            specs.append(ColSpec(DataType.string, name, required=False))
        elif name == "as_of":
            specs.append(ColSpec(DataType.datetime, name, required=False))
        else:
            specs.append(ColSpec(_MLFLOW_TYPES[fields[name].kind], name, required=False))
    params = ParamSchema([ParamSpec("reasons", DataType.boolean, True)])
    return ModelSignature(inputs=Schema(specs), outputs=None, params=params)


def input_example(units: pd.DataFrame, n: int = 3) -> pd.DataFrame:
    """A few units in the plain types the signature names (no pandas extension dtypes)."""
    example = units[[c for c in UNIT_COLUMNS if c in units]].head(n).copy()
    for name in example:
        column = example[name]
        if _plain_object(column):
            example[name] = column.astype(object).where(column.notna(), None)
        elif pd.api.types.is_numeric_dtype(column.dtype):
            example[name] = column.astype("float64")
    return example


def save_artifact(model: TriageModel, path: Path) -> Path:
    """Pickle the model (compressed) for the pyfunc's artifacts."""
    joblib.dump(model, path, compress=3)
    return path


def _plain_object(column: pd.Series) -> bool:
    dtype = column.dtype
    return (
        isinstance(dtype, pd.CategoricalDtype)
        or pd.api.types.is_string_dtype(dtype)
        or pd.api.types.is_bool_dtype(dtype)
    )
