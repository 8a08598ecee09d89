"""Spark's Python daemon with the scoring library already imported.

Spark starts one daemon per executor (``spark.python.daemon.module``) and forks a Python
worker from it for each task. Started from here, the daemon imports the library (numpy,
pandas, scikit-learn, the model's classes: about a second of CPU) once, before it forks,
so every worker starts with it in memory instead of importing it again.
"""

from __future__ import annotations

from pyspark import daemon

import risk.batch.worker  # noqa: F401  (the point of this module: imported before forking)
from risk.heap import freeze_long_lived

if __name__ == "__main__":
    freeze_long_lived()  # the forked workers' collectors leave the library's objects alone
    daemon.manager()
