"""From contract frames to the model's features: scoring units, history, labels, encoding."""

from risk.features.encoder import FeatureEncoder, feature_specs
from risk.features.history import HISTORY_COLUMNS, add_history
from risk.features.labels import HORIZON_DAYS, TIERS, extract_date, label_units
from risk.features.notes import NOTE_PHRASES
from risk.features.specs import FeatureSpec
from risk.features.units import UNIT_COLUMNS, build_units, case_units, survey_units

__all__ = [
    "HISTORY_COLUMNS",
    "HORIZON_DAYS",
    "NOTE_PHRASES",
    "TIERS",
    "UNIT_COLUMNS",
    "FeatureEncoder",
    "FeatureSpec",
    "add_history",
    "build_units",
    "case_units",
    "extract_date",
    "feature_specs",
    "label_units",
    "survey_units",
]
