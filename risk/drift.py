"""How a new ledger differs from the one a model was trained on, field by field.

For every contract field that feeds the model: the population stability index (PSI) of
its distribution (categories as they are, numbers in the reference's deciles, missing as a
category of its own), the change in its missing rate, and values the reference never had;
then a verdict. For the ledgers as a whole: the shift in the label mix of scoring units.

PSI = Σ (cur − ref) · ln(cur / ref) over bins; conventional reading: below 0.1 stable,
0.1 to 0.25 a moderate shift worth a look, above 0.25 a major shift.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from risk.i18n import both
from risk.schema import CASE, HOUSEHOLD_SURVEY, TIERS, Field, RecordKind

__all__ = ["DriftReport", "drift", "field_drift", "ledger_drift", "psi"]

MODERATE, MAJOR = 0.1, 0.25
_FLOOR = 1e-4  # share given to an empty bin so the logarithm stays finite


def psi(reference: pd.Series, current: pd.Series) -> float:
    """PSI between two distributions given as shares per bin (aligned by index)."""
    bins = reference.index.union(current.index)
    ref = reference.reindex(bins, fill_value=0.0).clip(lower=_FLOOR)
    cur = current.reindex(bins, fill_value=0.0).clip(lower=_FLOOR)
    return float(((cur - ref) * np.log(cur / ref)).sum())


def _binned(field: Field, reference: pd.Series, current: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Both columns as bin labels: categories as they are, numbers in the reference's deciles."""
    if field.kind != "int":
        return _as_labels(reference), _as_labels(current)
    ref = pd.to_numeric(reference, errors="coerce").astype("float64")
    cur = pd.to_numeric(current, errors="coerce").astype("float64")
    edges = np.unique(ref.quantile(np.linspace(0, 1, 11)).dropna().to_numpy())
    if edges.size < 3:
        return _as_labels(ref), _as_labels(cur)
    inner = np.r_[-np.inf, edges[1:-1], np.inf]
    return _cut(ref, inner), _cut(cur, inner)


def _cut(values: pd.Series, edges: np.ndarray) -> pd.Series:
    labels = pd.cut(values, edges.tolist()).astype(object)
    return labels.where(values.notna(), "(missing)").astype(str)


def _as_labels(column: pd.Series) -> pd.Series:
    return column.astype(object).where(column.notna(), "(missing)").astype(str)


@dataclass(frozen=True)
class FieldDrift:
    kind: str
    field: str
    psi: float
    missing_reference: float
    missing_current: float
    new_values: tuple[str, ...]

    @property
    def verdict(self) -> str:
        if (
            self.new_values
            or self.psi >= MAJOR
            or abs(self.missing_current - self.missing_reference) >= 0.2
        ):
            return "major"
        if self.psi >= MODERATE or abs(self.missing_current - self.missing_reference) >= 0.05:
            return "moderate"
        return "stable"


def field_drift(
    kind: RecordKind, f: Field, reference: pd.DataFrame, current: pd.DataFrame
) -> FieldDrift:
    ref, cur = reference[f.name], current[f.name]
    ref_bins, cur_bins = _binned(f, ref, cur)
    new: tuple[str, ...] = ()
    if f.kind == "enum":
        seen = set(ref.dropna().astype(str))
        new = tuple(sorted(set(cur.dropna().astype(str)) - seen))
    return FieldDrift(
        kind=kind.name,
        field=f.name,
        psi=psi(ref_bins.value_counts(normalize=True), cur_bins.value_counts(normalize=True)),
        missing_reference=float(ref.isna().mean()) if len(ref) else 0.0,
        missing_current=float(cur.isna().mean()) if len(cur) else 0.0,
        new_values=new,
    )


@dataclass
class DriftReport:
    fields: pd.DataFrame
    labels: pd.DataFrame

    @property
    def worst(self) -> str:
        verdicts = set(self.fields["verdict"])
        return next((v for v in ("major", "moderate") if v in verdicts), "stable")

    def labelled(self) -> pd.DataFrame:
        """The field table with each kind, field and verdict also in Chinese and English
        (the contract's labels and :mod:`risk.i18n`'s), each beside its code: what
        ``risk drift`` shows and writes."""
        kinds = {k.name: k for k in (HOUSEHOLD_SURVEY, CASE)}
        f = self.fields
        kind = [kinds[k] for k in f["kind"]]
        field = [k[name] for k, name in zip(kind, f["field"], strict=True)]
        verdict = [both(f"drift_{v}") for v in f["verdict"]]
        return pd.DataFrame(
            {
                "kind": f["kind"],
                "kind_zh": [k.zh for k in kind],
                "kind_en": [k.en for k in kind],
                "field": f["field"],
                "field_zh": [x.zh for x in field],
                "field_en": [x.en for x in field],
                "psi": f["psi"],
                "missing_reference": f["missing_reference"],
                "missing_current": f["missing_current"],
                "new_values": f["new_values"],
                "verdict": f["verdict"],
                "verdict_zh": [zh for zh, _ in verdict],
                "verdict_en": [en for _, en in verdict],
            },
            index=f.index,
        )

    def as_metrics(self, prefix: str = "drift") -> dict[str, float]:
        out = {
            f"{prefix}_{kind}_{name}_psi": float(value)
            for kind, name, value in zip(
                self.fields["kind"], self.fields["field"], self.fields["psi"], strict=True
            )
        }
        out[f"{prefix}_fields_major"] = float((self.fields["verdict"] == "major").sum())
        out[f"{prefix}_fields_moderate"] = float((self.fields["verdict"] == "moderate").sum())
        for tier, change in zip(self.labels["tier"], self.labels["change"], strict=True):
            out[f"{prefix}_label_rate_{tier}_change"] = float(change)
        return out


def drift(
    reference: dict[str, pd.DataFrame],
    current: dict[str, pd.DataFrame],
    reference_labels: pd.Series | None = None,
    current_labels: pd.Series | None = None,
) -> DriftReport:
    """Drift of every model field of ``households`` and ``cases`` frames, and of labels."""
    rows = []
    for name, kind in (("households", HOUSEHOLD_SURVEY), ("cases", CASE)):
        if name not in reference or name not in current:
            continue
        for f in kind:
            if f.model_input and f.kind in ("int", "bool", "enum"):
                d = field_drift(kind, f, reference[name], current[name])
                rows.append(
                    {**d.__dict__, "new_values": ", ".join(d.new_values), "verdict": d.verdict}
                )
    fields = pd.DataFrame(rows)
    label_rows = []
    if reference_labels is not None and current_labels is not None:
        ref = reference_labels.dropna().value_counts(normalize=True)
        cur = current_labels.dropna().value_counts(normalize=True)
        for t in (c.code for c in TIERS):
            label_rows.append(
                {
                    "tier": t,
                    "reference": float(ref.get(t, 0.0)),
                    "current": float(cur.get(t, 0.0)),
                    "change": float(cur.get(t, 0.0) - ref.get(t, 0.0)),
                }
            )
    return DriftReport(
        fields, pd.DataFrame(label_rows, columns=["tier", "reference", "current", "change"])
    )


def ledger_drift(
    reference: Any, current: Any, current_labels: pd.Series | None = None
) -> DriftReport:
    """:func:`drift` between two :class:`~risk.dataset.Ledger` objects, labels included
    (``current_labels`` saves rebuilding the current ledger's units when already built)."""
    labels = current.units()["label"] if current_labels is None else current_labels
    return drift(
        {"households": reference.households, "cases": reference.cases},
        {"households": current.households, "cases": current.cases},
        reference.units()["label"],
        labels,
    )
