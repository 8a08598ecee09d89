"""The two decisions a tier serves: case intake and household screening.

*Case intake* scores a case as of its ``opened_at`` for a mediation centre deciding what
to do with it; *household screening* scores a household without an open case, as of its
survey, for a psychologist deciding whom to visit. The users never compare a case with a
survey, so each decision has its own classifier (or the pooled one when its ledger is
too small), calibration, thresholds, review band and figures.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["DECISIONS", "HAS_CASE_COLUMN", "HAS_SURVEY_COLUMN", "decision_index", "decision_names"]

#: The decisions in a fixed order; a unit's decision index points into it.
DECISIONS = ("intake", "screening")
#: The feature matrix's ``has_case`` column (the encoder puts the unit's kind first).
HAS_CASE_COLUMN = 0
#: The feature matrix's ``has_survey`` column, next to it.
HAS_SURVEY_COLUMN = 1


def decision_index(X: np.ndarray) -> np.ndarray:
    """Per row of the feature matrix: 0 (intake) when it has a case, else 1 (screening)."""
    X = np.asarray(X)
    return np.where(X[:, HAS_CASE_COLUMN] == 1.0, 0, 1).astype(np.int8)


def decision_names(index: np.ndarray) -> Any:
    """Decision indexes as a categorical of names."""
    return pd.Categorical.from_codes(np.asarray(index, np.int8), categories=pd.Index(DECISIONS))
