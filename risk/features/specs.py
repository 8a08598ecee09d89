"""What each model feature is: its name, labels in both languages, kind and source."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

FeatureKind = Literal["nominal", "ordinal", "continuous", "flag"]
FeatureSource = Literal["survey", "case", "history", "notes", "unit"]


@dataclass(frozen=True)
class FeatureSpec:
    """One column of the feature matrix.

    ``values`` labels the codes of a nominal, ordinal or flag feature: code → (zh, en),
    so a reason can say "酗酒：经常" rather than "alcohol_misuse = 2".
    """

    name: str
    zh: str
    en: str
    kind: FeatureKind
    source: FeatureSource
    values: dict[float, tuple[str, str]] = field(default_factory=dict)
    #: The code that means "no" / "none" / "never": such an answer is never shown as a
    #: reason that raises risk (``None`` when no answer of the feature means "no").
    no_value: float | None = None

    def label(self, lang: str = "zh") -> str:
        return self.zh if lang == "zh" else self.en

    def value_label(self, value: float, lang: str = "zh") -> str:
        """The value as a person reads it: its label for coded features, else the number."""
        if value != value:  # NaN
            return "未填" if lang == "zh" else "not recorded"
        labels = self.values.get(float(value))
        if labels is not None:
            return labels[0] if lang == "zh" else labels[1]
        return f"{value:g}"
