"""The peer of ``risk score`` in ``benchmarks/batch.py``: plain MLflow pyfunc predict, whole frame.

What one would write without the engine: load the registered model with
``mlflow.pyfunc.load_model``, read both Parquet ledgers whole, build every household's unit
as of the date (the function the engine uses), predict them all at once without reasons,
and write the predictions to Parquet. Prints the seconds of each step as ``step=seconds``.

    python benchmarks/plain_pyfunc.py DATA_DIR MODEL_URI TRACKING_URI AS_OF OUT
"""

from __future__ import annotations

import sys
import time

started = time.perf_counter()
steps: dict[str, float] = {}


def step(name: str) -> None:
    global started
    now = time.perf_counter()
    steps[name] = now - started
    started = now


def main() -> None:
    data, model, uri, as_of, out = sys.argv[1:6]
    import mlflow
    import pandas as pd

    from risk.features.asof import household_units

    step("imports")
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    loaded = mlflow.pyfunc.load_model(model)
    step("load")
    households = pd.read_parquet(f"{data}/households.parquet")
    cases = pd.read_parquet(f"{data}/cases.parquet")
    step("read")
    units = household_units(households, cases, as_of)
    step("build")
    predictions = loaded.predict(units, params={"reasons": False})
    step("predict")
    predictions.to_parquet(out, index=False)
    step("write")
    print(f"units={len(units)} " + " ".join(f"{k}={v:.2f}" for k, v in steps.items()))


if __name__ == "__main__":
    main()
