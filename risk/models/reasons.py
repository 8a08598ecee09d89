"""Reasons: the exact per-term contributions of a calibrated EBM, labelled for people.

After Platt scaling the calibrated logit is ``a·intercept + b + Σ a·contribution``. Each
contribution is shown against the *typical unit of the same decision*: its mean over that
decision's calibration units (the ``reference``) is moved into ``base``, so a term reads
"raises" only when this unit's answer pushes harder than usual, and a feature that is the
same for every unit of the decision (has a case, for intake) contributes exactly zero.
``base`` plus every term still adds up to the logit the tier came from.

Not every term is shown: a missing answer is listed apart (what the model could not
see), a "no"/"none" answer is never shown raising risk, and the unit's kind (has a case,
has a survey) is structure, not a reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from risk.features.specs import FeatureSpec
from risk.i18n import both
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


def _pair_label(specs: Sequence[FeatureSpec], features: tuple[int, ...]) -> tuple[str, str]:
    if len(features) == 1:
        return specs[features[0]].zh, specs[features[0]].en
    a, b = (specs[f] for f in features[:2])
    zh, _ = both("interaction_reason", a=a.zh, b=b.zh)
    _, en = both("interaction_reason", a=a.en, b=b.en)
    return zh, en


class CalibratedTerms:
    """A compiled EBM with its Platt scaling, centred on a decision's typical unit."""

    def __init__(
        self,
        ebm: CompiledEBM,
        platt: PlattScaling,
        specs: Sequence[FeatureSpec],
        reference: np.ndarray | None = None,
    ):
        self.ebm = ebm
        self.a = platt.a_
        self.b = platt.b_
        self.platt = platt
        self.specs = list(specs)
        self.reference = (
            np.zeros(ebm.n_terms) if reference is None else np.asarray(reference, np.float64)
        )
        self._reference_list = self.reference.tolist()
        self.base = self.a * ebm.intercept + self.b + float(self.reference.sum())
        self.codes = np.array(
            [" × ".join(self.specs[f].name for f in tf) for tf in ebm.term_features], object
        )
        labels = [_pair_label(self.specs, tuple(tf)) for tf in ebm.term_features]
        self.labels_zh = np.array([zh for zh, _ in labels], object)
        self.labels_en = np.array([en for _, en in labels], object)
        # The feature whose value a main-effect reason shows; -1 for an interaction.
        self.main_feature = np.array(
            [tf[0] if len(tf) == 1 else -1 for tf in ebm.term_features], np.int64
        )
        self._terms_of: dict[int, list[int]] = {}
        for t, tf in enumerate(ebm.term_features):
            for f in tf:
                self._terms_of.setdefault(int(f), []).append(t)
        self._structural = np.array(
            [any(self.specs[f].source == "unit" for f in tf) for tf in ebm.term_features], bool
        )

    def centred_on(self, X: np.ndarray) -> CalibratedTerms:
        """The same terms, shown against the mean unit of ``X`` (a decision's units)."""
        raw = self.a * self.ebm.contributions(X)
        return CalibratedTerms(self.ebm, self.platt, self.specs, raw.mean(axis=0))

    def contributions(
        self,
        X: np.ndarray,
        bins: dict[tuple[int, int], np.ndarray] | None = None,
        rows: np.ndarray | None = None,
    ) -> np.ndarray:
        """Centred per-term contributions ``(n, n_terms)`` (see CompiledEBM.contributions)."""
        return self.a * self.ebm.contributions(X, bins, rows) - self.reference

    def logit_of(
        self, X: np.ndarray, bins: dict[tuple[int, int], np.ndarray] | None = None
    ) -> np.ndarray:
        """The calibrated logit of every row."""
        return self.a * self.ebm.decision_function(X, bins) + self.b

    def logit(self, contributions: np.ndarray) -> np.ndarray:
        """The calibrated logit: ``base`` plus every contribution."""
        return self.base + contributions.sum(axis=1)

    def contributions_one(self, row: Sequence[float]) -> list[float]:
        a, ref = self.a, self._reference_list
        return [a * c - r for c, r in zip(self.ebm.contributions_one(row), ref, strict=True)]

    def logit_one(self, contributions: Sequence[float]) -> float:
        return self.base + float(sum(contributions))

    def logit_changed(
        self, row: Sequence[float], contributions: Sequence[float], logit: float, feature: int
    ) -> float:
        """The logit of ``row``, which differs from the unit with these ``contributions``
        and ``logit`` only in ``feature``: only that feature's terms are recomputed."""
        a, ref = self.a, self._reference_list
        for t in self._terms_of.get(feature, ()):
            logit += a * self.ebm.term_one(row, t) - ref[t] - contributions[t]
        return logit

    def shown_mask(self, X: np.ndarray, contributions: np.ndarray) -> np.ndarray:
        """Which terms may be shown as reasons, ``(n, n_terms)``."""
        X = np.asarray(X, np.float64)
        show = (contributions != 0.0) & ~self._structural
        for t, tf in enumerate(self.ebm.term_features):
            for f in tf:
                values = X[:, f]
                show[:, t] &= ~np.isnan(values)
                no = self.specs[f].no_value
                if no is not None:
                    show[:, t] &= ~((values == no) & (contributions[:, t] > 0))
        return show

    def reasons_one(
        self, row: Sequence[float], contributions: Sequence[float], k: int
    ) -> list[Reason]:
        """The ``k`` largest shown terms by size, labelled with the unit's values."""
        c = np.asarray(contributions, np.float64)[None, :]
        shown = self.shown_mask(np.asarray(row, np.float64)[None, :], c)[0]
        order = sorted(np.flatnonzero(shown).tolist(), key=lambda t: -abs(contributions[t]))[:k]
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
