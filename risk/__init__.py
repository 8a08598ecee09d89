"""Risk triage for family and neighbour disputes: the library behind the ``risk`` command."""

import warnings

# pandera imports pyspark.pandas whenever pyspark is installed (the spark extra), and pyspark
# then warns that pyspark.pandas does not yet support pandas 3, in every process that imports
# pandera; nothing here uses pyspark.pandas.
warnings.filterwarnings(
    "ignore", message="PySpark does not yet fully support pandas", category=FutureWarning
)
