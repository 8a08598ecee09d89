"""The pyfunc's model-from-code entry: MLflow runs this file to build the python model.

Logging the model as code (this file) rather than as a pickled object means nothing
but the TriageModel artifact is deserialised at load time.
"""

import mlflow

from risk.models.pyfunc import TriagePyfunc

mlflow.models.set_model(TriagePyfunc())
