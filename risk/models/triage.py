"""The deployed model: one object from scoring units to tiers with flags and exact reasons.

:class:`TriageModel` holds the fitted encoder, the two compiled EBMs with their Platt
scalings, the tier policy with its chosen thresholds, and the conformal sets. It scores a
units frame in batch (:meth:`predict_frame`, flat columns for Parquet) or one unit given as
a dict (:meth:`predict_record`, the full result object, without pandas on the hot path).
The reasons of a unit are the terms of the model its tier came from: the red model for a
red tier, the yellow-or-red model otherwise; with ``base`` they add up to its ``logit``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from risk.features.encoder import FeatureEncoder
from risk.models.calibration import PlattScaling, sigmoid
from risk.models.conformal import SplitConformal
from risk.models.policy import Policy, Thresholds
from risk.models.reasons import CalibratedTerms
from risk.models.scorer import CompiledEBM
from risk.models.tiers import TIERS, combine_probabilities
from risk.schema import TIERS as CONTRACT_TIERS

__all__ = ["ModelInfo", "TriageModel"]

ID_COLUMNS = ("unit", "household_id", "case_id", "as_of")
#: Tier labels come from the contract's one table of labels.
_TIER_LABELS = {c.code: (c.zh, c.en) for c in CONTRACT_TIERS}


@dataclass
class ModelInfo:
    """Who the model is: registry name and version, when and on what it was trained."""

    name: str = "risk-triage"
    version: str = "unregistered"
    trained_at: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)


class TriageModel:
    """Scoring units → tier, probabilities, flags, reasons, actions, prediction set."""

    def __init__(
        self,
        encoder: FeatureEncoder,
        red: CompiledEBM,
        yellow_or_red: CompiledEBM,
        red_platt: PlattScaling,
        yellow_or_red_platt: PlattScaling,
        policy: Policy,
        thresholds: Thresholds,
        conformal: SplitConformal,
        info: ModelInfo | None = None,
    ) -> None:
        self.encoder = encoder
        self.red = CalibratedTerms(red, red_platt, encoder.specs_)
        self.yellow_or_red = CalibratedTerms(yellow_or_red, yellow_or_red_platt, encoder.specs_)
        self.policy = policy
        self.thresholds = thresholds
        self.conformal = conformal
        self.info = info or ModelInfo()

    # -- probabilities ---------------------------------------------------------------

    def features(self, units: pd.DataFrame) -> np.ndarray:
        return self.encoder.transform(units)

    def logits(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Calibrated logits ``(red, yellow_or_red)``."""
        return (
            self.red.a * self.red.ebm.decision_function(X) + self.red.b,
            self.yellow_or_red.a * self.yellow_or_red.ebm.decision_function(X)
            + self.yellow_or_red.b,
        )

    def predict_proba(self, units: pd.DataFrame) -> np.ndarray:
        """Calibrated probabilities ``(n, 3)``: green, yellow, red."""
        red, yr = self.logits(self.features(units))
        return combine_probabilities(sigmoid(red), sigmoid(yr))

    # -- batch -----------------------------------------------------------------------

    def predict_frame(self, units: pd.DataFrame, *, reasons: bool = True) -> pd.DataFrame:
        """One row per unit: tier, probabilities, flags, top reasons, set, follow-up."""
        X = self.features(units)
        n = X.shape[0]
        red_bins = self.red.ebm.bin_all(X)
        bins = {
            "red": red_bins,
            "yellow_or_red": self.yellow_or_red.ebm.bin_all(X, (self.red.ebm, red_bins)),
        }
        z_red = self.red.logit_of(X, bins["red"])
        z_yr = self.yellow_or_red.logit_of(X, bins["yellow_or_red"])
        proba = combine_probabilities(sigmoid(z_red), sigmoid(z_yr))
        model_rank = self._model_ranks(proba)
        floor, fired = self.policy.floors(units)
        rank = np.maximum(model_rank, floor)
        sets = self.conformal.predict_sets(proba)

        out: dict[str, Any] = {c: units[c].to_numpy() for c in ID_COLUMNS if c in units}
        out["tier"] = pd.Categorical.from_codes(rank, categories=pd.Index(TIERS))
        out["model_tier"] = pd.Categorical.from_codes(model_rank, categories=pd.Index(TIERS))
        out["p_green"], out["p_yellow"], out["p_red"] = proba.T
        out["flags"] = pd.Categorical(self._flag_codes(fired))
        if reasons:
            out.update(self._top_reasons(X, rank, bins))
        out["prediction_set"] = self._set_strings(sets)
        out["review_recommended"] = sets.sum(axis=1) > 1
        days = np.array([self.policy.tiers[t].follow_up_days for t in TIERS])[rank]
        if "as_of" in units:
            as_of = pd.to_datetime(units["as_of"]).to_numpy()
            out["follow_up_date"] = as_of + days.astype("timedelta64[D]")
        out["follow_up_days"] = days
        out["model_name"] = _from_codes(np.zeros(n, np.int8), [self.info.name])
        out["model_version"] = _from_codes(np.zeros(n, np.int8), [self.info.version])
        return pd.DataFrame(out, index=units.index, copy=False)

    def _model_ranks(self, proba: np.ndarray) -> np.ndarray:
        t = self.thresholds
        p_red, p_yr = proba[:, 2], proba[:, 1] + proba[:, 2]
        return np.where(p_red >= t.red, 2, np.where(p_yr >= t.yellow, 1, 0)).astype(np.int8)

    def _flag_codes(self, fired: np.ndarray) -> np.ndarray:
        codes = np.full(fired.shape[0], "", object)
        codes_of = [f.code for f in self.policy.red_flags]
        for i in np.flatnonzero(fired.any(axis=1)):
            codes[i] = ";".join(c for c, hit in zip(codes_of, fired[i], strict=True) if hit)
        return codes

    def _set_strings(self, sets: np.ndarray) -> pd.Categorical:
        """Each set as tier names joined by "|", e.g. "yellow|red" ("" for an empty set)."""
        names = [
            "|".join(t for t, s in zip(TIERS, m, strict=True) if s) for m in np.ndindex(2, 2, 2)
        ]
        bits = sets.astype(np.int8)
        return _from_codes(bits[:, 0] * 4 + bits[:, 1] * 2 + bits[:, 2], names)

    def _top_reasons(self, X: np.ndarray, rank: np.ndarray, bins: dict[str, Any]) -> dict[str, Any]:
        """Top-k terms per unit from the model its tier came from, as flat columns.

        Each unit's terms are computed once, from the one model that explains it; its
        ``logit`` column is ``base`` plus all of them.
        """
        k = self.policy.reasons.top_k
        n = X.shape[0]
        use_red = rank == 2
        out: dict[str, Any] = {
            "reasons_model": np.where(use_red, "red", "yellow_or_red").astype(object),
            "base": np.where(use_red, self.red.base, self.yellow_or_red.base),
            "logit": np.empty(n),
        }
        # Reason labels are categorical over the terms of both models: no string per row.
        codes = list(dict.fromkeys([*self.red.codes, *self.yellow_or_red.codes]))
        position = {c: i for i, c in enumerate(codes)}
        term_index = {
            "red": np.array([position[c] for c in self.red.codes], np.int64),
            "yellow_or_red": np.array([position[c] for c in self.yellow_or_red.codes], np.int64),
        }
        label = {
            c: (zh, en)
            for terms in (self.red, self.yellow_or_red)
            for c, zh, en in zip(terms.codes, terms.labels_zh, terms.labels_en, strict=True)
        }
        index = {j: np.full(n, -1, np.int64) for j in range(1, k + 1)}
        for j in range(1, k + 1):
            out[f"reason_{j}_value"] = np.full(n, np.nan)
            out[f"reason_{j}_size"] = np.full(n, np.nan)
        for name, terms, rows in (
            ("red", self.red, np.flatnonzero(use_red)),
            ("yellow_or_red", self.yellow_or_red, np.flatnonzero(~use_red)),
        ):
            if rows.size == 0:
                continue
            Xr = X[rows]
            c = terms.contributions(X, bins[name], rows)
            out["logit"][rows] = terms.logit(c)
            top = _top_k(np.abs(c), k)
            for j in range(top.shape[1]):
                t = top[:, j]
                index[j + 1][rows] = term_index[name][t]
                out[f"reason_{j + 1}_size"][rows] = c[np.arange(rows.size), t]
                feature = terms.main_feature[t]
                main = feature >= 0
                out[f"reason_{j + 1}_value"][rows[main]] = Xr[main, feature[main]]
        zh = [label[c][0] for c in codes]
        en = [label[c][1] for c in codes]
        for j, idx in index.items():
            out[f"reason_{j}_code"] = _from_codes(idx, codes)
            out[f"reason_{j}_zh"] = _categorical(idx, zh)
            out[f"reason_{j}_en"] = _categorical(idx, en)
        ordered = {}
        for key in ("reasons_model", "base", "logit"):
            ordered[key] = out.pop(key)
        for j in range(1, k + 1):
            for part in ("code", "zh", "en", "value", "size"):
                ordered[f"reason_{j}_{part}"] = out[f"reason_{j}_{part}"]
        return ordered

    # -- one unit ----------------------------------------------------------------------

    def predict_record(
        self, record: Mapping[str, Any], *, lang: str = "zh", today: dt.date | None = None
    ) -> dict[str, Any]:
        """The full result for one unit given as a dict of contract fields (and history)."""
        row = self.encoder.transform_records([record])[0].tolist()
        c_red = self.red.contributions_one(row)
        c_yr = self.yellow_or_red.contributions_one(row)
        z_red, z_yr = self.red.logit_one(c_red), self.yellow_or_red.logit_one(c_yr)
        p_red = _sigmoid_one(z_red)
        p_yr = max(_sigmoid_one(z_yr), p_red)
        proba = {"green": 1.0 - p_yr, "yellow": p_yr - p_red, "red": p_red}
        t = self.thresholds
        model_rank = 2 if p_red >= t.red else 1 if p_yr >= t.yellow else 0
        floor, fired = self.policy.floors_one(record)
        rank = max(model_rank, floor)
        tier = TIERS[rank]
        terms, contributions, logit = (
            (self.red, c_red, z_red) if rank == 2 else (self.yellow_or_red, c_yr, z_yr)
        )
        reasons = terms.reasons_one(row, contributions, self.policy.reasons.top_k)
        prediction_set = self.conformal.sets_one(proba["green"], proba["yellow"], proba["red"])
        action = self.policy.tiers[tier]
        as_of = _as_date(record.get("as_of")) or today or dt.date.today()
        return {
            "tier": tier,
            "tier_label": _TIER_LABELS[tier][0 if lang == "zh" else 1],
            "model_tier": TIERS[model_rank],
            "probabilities": proba,
            "flags": [
                {"code": f.code, "tier": f.tier, "label": f.label(lang), "zh": f.zh, "en": f.en}
                for f in fired
            ],
            "reasons": [r.as_dict(lang) for r in reasons],
            "reasons_model": "red" if rank == 2 else "yellow_or_red",
            "base": terms.base,
            "logit": logit,
            "actions": list(action.actions(lang)),
            "follow_up_days": action.follow_up_days,
            "follow_up_date": (as_of + dt.timedelta(days=action.follow_up_days)).isoformat(),
            "prediction_set": list(prediction_set),
            "review_recommended": len(prediction_set) > 1,
            "model": {"name": self.info.name, "version": self.info.version},
        }

    def explain_record(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """Every term of both models for one unit (what the top reasons are taken from)."""
        row = self.encoder.transform_records([record])[0].tolist()
        out = {}
        for name, terms in (("red", self.red), ("yellow_or_red", self.yellow_or_red)):
            c = terms.contributions_one(row)
            out[name] = {
                "base": terms.base,
                "terms": dict(zip(terms.codes.tolist(), c, strict=True)),
                "logit": terms.logit_one(c),
            }
        return out


def _top_k(values: np.ndarray, k: int) -> np.ndarray:
    """Column indexes of the ``k`` largest values per row, largest first (first on ties).

    ``k`` passes of ``argmax`` beat ``argpartition`` by several times for a small ``k``.
    """
    k = min(k, values.shape[1])
    values = values.copy()
    rows = np.arange(values.shape[0])
    out = np.empty((values.shape[0], k), np.int64)
    for j in range(k):
        out[:, j] = best = values.argmax(axis=1)
        values[rows, best] = -np.inf
    return out


def _categorical(codes: np.ndarray, labels: list[str]) -> pd.Categorical | np.ndarray:
    """Labels by code as a categorical, or as strings when two codes share a label."""
    if len(set(labels)) == len(labels):
        return _from_codes(codes, labels)
    return np.asarray([*labels, None], object)[codes]


def _from_codes(codes: np.ndarray, labels: list[str]) -> Any:
    return pd.Categorical.from_codes(np.asarray(codes, np.int64), categories=pd.Index(labels))


def _sigmoid_one(z: float) -> float:
    return 0.5 * (1.0 + float(np.tanh(0.5 * z)))


def _as_date(value: Any) -> dt.date | None:
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None
