"""Reasons: the exact per-term contributions of a calibrated EBM, labelled for people.

After Platt scaling the calibrated logit is ``base + Σ a·contribution``, so the scaled
contributions are the reasons and, with ``base``, add up to the logit the tier came from.
A term is a feature or a pair of features (an interaction, shown as "A × B").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from risk.features.specs import FeatureSpec
from risk.models.calibration import PlattScaling
from risk.models.scorer import CompiledEBM

__all__ = ["CalibratedTerms", "Reason"]


@dataclass(frozen=True)
class Reason:
    """One term's push on the unit's risk, in the calibrated logit's units."""

    code: str
    label_zh: str
    label_en: str
    value_zh: str
    value_en: str
    size: float

    @property
    def direction(self) -> str:
        return "raises" if self.size > 0 else "lowers"

    def as_dict(self, lang: str | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "code": self.code,
            "direction": self.direction,
            "size": self.size,
            "label_zh": self.label_zh,
            "label_en": self.label_en,
            "value_zh": self.value_zh,
            "value_en": self.value_en,
        }
        if lang is not None:
            out["label"] = self.label_zh if lang == "zh" else self.label_en
            out["value"] = self.value_zh if lang == "zh" else self.value_en
        return out


class CalibratedTerms:
    """A compiled EBM with its Platt scaling: calibrated logit and its exact terms."""

    def __init__(self, ebm: CompiledEBM, platt: PlattScaling, specs: Sequence[FeatureSpec]):
        self.ebm = ebm
        self.a = platt.a_
        self.b = platt.b_
        self.base = self.a * ebm.intercept + self.b
        self.specs = list(specs)
        self.codes = np.array(
            [" × ".join(self.specs[f].name for f in tf) for tf in ebm.term_features], object
        )
        self.labels_zh = np.array(
            [" × ".join(self.specs[f].zh for f in tf) for tf in ebm.term_features], object
        )
        self.labels_en = np.array(
            [" × ".join(self.specs[f].en for f in tf) for tf in ebm.term_features], object
        )
        # The feature whose value a main-effect reason shows; -1 for an interaction.
        self.main_feature = np.array(
            [tf[0] if len(tf) == 1 else -1 for tf in ebm.term_features], np.int64
        )

    def contributions(
        self,
        X: np.ndarray,
        bins: dict[tuple[int, int], np.ndarray] | None = None,
        rows: np.ndarray | None = None,
    ) -> np.ndarray:
        """Scaled per-term contributions ``(n, n_terms)`` (see CompiledEBM.contributions)."""
        return self.a * self.ebm.contributions(X, bins, rows)

    def logit_of(
        self, X: np.ndarray, bins: dict[tuple[int, int], np.ndarray] | None = None
    ) -> np.ndarray:
        """The calibrated logit of every row."""
        return self.a * self.ebm.decision_function(X, bins) + self.b

    def logit(self, contributions: np.ndarray) -> np.ndarray:
        """The calibrated logit: ``base`` plus every contribution."""
        return self.base + contributions.sum(axis=1)

    def contributions_one(self, row: Sequence[float]) -> list[float]:
        a = self.a
        return [a * c for c in self.ebm.contributions_one(row)]

    def logit_one(self, contributions: Sequence[float]) -> float:
        return self.base + float(sum(contributions))

    def reasons_one(
        self, row: Sequence[float], contributions: Sequence[float], k: int
    ) -> list[Reason]:
        """The ``k`` largest terms by size, labelled with the unit's values."""
        order = sorted(range(len(contributions)), key=lambda t: -abs(contributions[t]))[:k]
        out = []
        for t in order:
            tf = self.ebm.term_features[t]
            value_zh = "；".join(
                f"{self.specs[f].zh}：{self.specs[f].value_label(row[f], 'zh')}" for f in tf
            )
            value_en = "; ".join(
                f"{self.specs[f].en}: {self.specs[f].value_label(row[f], 'en')}" for f in tf
            )
            if len(tf) == 1:
                value_zh = self.specs[tf[0]].value_label(row[tf[0]], "zh")
                value_en = self.specs[tf[0]].value_label(row[tf[0]], "en")
            out.append(
                Reason(
                    code=str(self.codes[t]),
                    label_zh=str(self.labels_zh[t]),
                    label_en=str(self.labels_en[t]),
                    value_zh=value_zh,
                    value_en=value_en,
                    size=float(contributions[t]),
                )
            )
        return out
