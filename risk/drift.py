"""How a new ledger differs from the one a model was trained on, field by field.

For every contract field that feeds the model: the population stability index (PSI) of
its distribution (categories as they are, numbers in the reference's deciles, missing as a
category of its own), the change in its missing rate, values the reference never had and
values it had that are gone; then a verdict. So that no shift hides inside a field's whole
distribution, each category of an enum is also compared on its own (a category whose share
moved by half or more, beyond chance, is reported even when the field's PSI is small).
Id-like fields (``grid_id``) are summarised as the share of rows in values the reference
never had; free text (case notes) by its missing rate per source. For the ledgers as a
whole: the shift in the label mix of scoring units, pooled and per decision.

PSI = Σ (cur − ref) · ln(cur / ref) over bins; conventional reading: below 0.1 stable,
0.1 to 0.25 a moderate shift worth a look, above 0.25 a major shift.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from risk.i18n import Lang, both, text
from risk.schema import CASE, HOUSEHOLD_SURVEY, TIERS, Field, RecordKind

__all__ = [
    "DriftReport",
    "category_shifts",
    "drift",
    "field_drift",
    "id_drift",
    "ledger_drift",
    "psi",
    "text_missing_by",
    "unit_decisions",
]

MODERATE, MAJOR = 0.1, 0.25
#: A change of a missing rate or of the share of rows in unseen ids: moderate, major.
RATE_MODERATE, RATE_MAJOR = 0.05, 0.2
#: A category is reported when its share moved by this factor (either way), by at least
#: CATEGORY_MIN_CHANGE, and beyond chance (two-proportion z of at least CATEGORY_Z); it is
#: a major shift from CATEGORY_MAJOR_RATIO (doubling or halving) on.
CATEGORY_RATIO, CATEGORY_MAJOR_RATIO, CATEGORY_MIN_CHANGE, CATEGORY_Z = 1.5, 2.0, 0.01, 3.0
_FLOOR = 1e-4  # share given to an empty bin so the logarithm stays finite
_KINDS = (("households", HOUSEHOLD_SURVEY), ("cases", CASE))
VERDICTS = ("stable", "moderate", "major")


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
    vanished_values: tuple[str, ...] = ()

    @property
    def verdict(self) -> str:
        if (
            self.new_values
            or self.psi >= MAJOR
            or abs(self.missing_current - self.missing_reference) >= RATE_MAJOR
        ):
            return "major"
        if (
            self.vanished_values
            or self.psi >= MODERATE
            or abs(self.missing_current - self.missing_reference) >= RATE_MODERATE
        ):
            return "moderate"
        return "stable"


def field_drift(
    kind: RecordKind, f: Field, reference: pd.DataFrame, current: pd.DataFrame
) -> FieldDrift:
    ref, cur = reference[f.name], current[f.name]
    ref_bins, cur_bins = _binned(f, ref, cur)
    new: tuple[str, ...] = ()
    vanished: tuple[str, ...] = ()
    if f.kind == "enum":
        seen, present = set(ref.dropna().astype(str)), set(cur.dropna().astype(str))
        new = tuple(sorted(present - seen))
        vanished = tuple(sorted(seen - present)) if len(cur) else ()
    return FieldDrift(
        kind=kind.name,
        field=f.name,
        psi=psi(ref_bins.value_counts(normalize=True), cur_bins.value_counts(normalize=True)),
        missing_reference=float(ref.isna().mean()) if len(ref) else 0.0,
        missing_current=float(cur.isna().mean()) if len(cur) else 0.0,
        new_values=new,
        vanished_values=vanished,
    )


def _level(value: float, moderate: float, major: float) -> str:
    return "major" if value >= major else "moderate" if value >= moderate else "stable"


def _z(a: float, n_a: int, b: float, n_b: int) -> float:
    """The two-proportion z statistic of shares ``a`` (of ``n_a``) and ``b`` (of ``n_b``)."""
    pooled = (a * n_a + b * n_b) / (n_a + n_b)
    spread = np.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
    return float((b - a) / spread) if spread > 0 else 0.0


def category_shifts(
    kind: RecordKind, f: Field, reference: pd.DataFrame, current: pd.DataFrame
) -> list[dict[str, Any]]:
    """Each category of enum ``f`` whose share moved notably (missing counts as one):
    rows of kind, field, value, reference and current share, ratio, z and verdict."""
    ref, cur = _as_labels(reference[f.name]), _as_labels(current[f.name])
    if not len(ref) or not len(cur):
        return []
    p_ref, p_cur = ref.value_counts(normalize=True), cur.value_counts(normalize=True)
    rows = []
    for value in p_ref.index.union(p_cur.index):
        a, b = float(p_ref.get(value, 0.0)), float(p_cur.get(value, 0.0))
        z = _z(a, len(ref), b, len(cur))
        ratio = max(b, _FLOOR) / max(a, _FLOOR)
        moved = max(ratio, 1 / ratio)
        if moved < CATEGORY_RATIO or abs(b - a) < CATEGORY_MIN_CHANGE or abs(z) < CATEGORY_Z:
            continue
        rows.append(
            {
                "kind": kind.name,
                "field": f.name,
                "value": value,
                "reference": a,
                "current": b,
                "ratio": ratio,
                "z": float(z),
                "verdict": "major" if moved >= CATEGORY_MAJOR_RATIO else "moderate",
            }
        )
    return rows


def id_drift(
    kind: RecordKind, f: Field, reference: pd.DataFrame, current: pd.DataFrame
) -> dict[str, Any]:
    """An id-like field (``grid_id``): how many of its current values the reference never
    had, the share of current rows in them, and how many reference values are gone."""
    ref = set(reference[f.name].dropna().astype(str))
    cur = current[f.name].astype(object).where(current[f.name].notna(), None)
    unseen = cur.map(lambda v: v is not None and str(v) not in ref)
    present = set(cur.dropna().astype(str))
    share = float(unseen.mean()) if len(cur) else 0.0
    return {
        "kind": kind.name,
        "field": f.name,
        "values_reference": len(ref),
        "values_current": len(present),
        "unseen_values": len(present - ref),
        "unseen_share": share,
        "vanished_values": len(ref - present) if len(cur) else 0,
        "verdict": _level(share, RATE_MODERATE, RATE_MAJOR),
    }


def text_missing_by(
    kind: RecordKind, f: Field, by: str, reference: pd.DataFrame, current: pd.DataFrame
) -> list[dict[str, Any]]:
    """A free-text field's missing rate per value of ``by`` (cases' source), before and
    now; a change is judged only beyond chance (two-proportion z of at least CATEGORY_Z)."""
    rows = []
    ref_groups, cur_groups = _as_labels(reference[by]), _as_labels(current[by])
    for value in sorted(set(ref_groups) | set(cur_groups)):
        a = reference[f.name][(ref_groups == value).to_numpy()]
        b = current[f.name][(cur_groups == value).to_numpy()]
        if not len(a) or not len(b):
            continue
        before, now = float(a.isna().mean()), float(b.isna().mean())
        beyond_chance = abs(_z(before, len(a), now, len(b))) >= CATEGORY_Z
        rows.append(
            {
                "kind": kind.name,
                "field": f.name,
                "by": by,
                "value": value,
                "n_reference": len(a),
                "n_current": len(b),
                "missing_reference": before,
                "missing_current": now,
                "change": now - before,
                "verdict": _level(abs(now - before), RATE_MODERATE, RATE_MAJOR)
                if beyond_chance
                else "stable",
            }
        )
    return rows


def _frame(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(columns))


CATEGORY_COLUMNS = ("kind", "field", "value", "reference", "current", "ratio", "z", "verdict")
ID_COLUMNS = (
    "kind",
    "field",
    "values_reference",
    "values_current",
    "unseen_values",
    "unseen_share",
    "vanished_values",
    "verdict",
)
TEXT_COLUMNS = (
    "kind",
    "field",
    "by",
    "value",
    "n_reference",
    "n_current",
    "missing_reference",
    "missing_current",
    "change",
    "verdict",
)
LABEL_COLUMNS = ("decision", "tier", "reference", "current", "change")


@dataclass
class DriftReport:
    fields: pd.DataFrame
    labels: pd.DataFrame
    #: Enum categories whose share moved notably (:func:`category_shifts`).
    categories: pd.DataFrame = field(default_factory=lambda: _frame([], CATEGORY_COLUMNS))
    #: Id-like fields: rows in values the reference never had (:func:`id_drift`).
    ids: pd.DataFrame = field(default_factory=lambda: _frame([], ID_COLUMNS))
    #: Free text: missing rate per source (:func:`text_missing_by`).
    text: pd.DataFrame = field(default_factory=lambda: _frame([], TEXT_COLUMNS))
    #: The label mix per decision (intake, screening).
    labels_by_decision: pd.DataFrame = field(default_factory=lambda: _frame([], LABEL_COLUMNS))

    @property
    def worst(self) -> str:
        verdicts = set(self.fields["verdict"]) if len(self.fields) else set()
        for table in (self.categories, self.ids, self.text):
            verdicts |= set(table["verdict"])
        return next((v for v in ("major", "moderate") if v in verdicts), "stable")

    def findings(self, lang: Lang = "zh") -> list[str]:
        """Every shift that is not stable, as sentences in ``lang``, worst first."""
        return [sentence for _, sentence in sorted(self._findings(lang), key=lambda f: -f[0])]

    def _findings(self, lang: Lang) -> list[tuple[int, str]]:
        """Each shift that is not stable as (its verdict's rank, "verdict: what moved")."""
        verdict = {v: text(f"drift_{v}", lang) for v in VERDICTS}
        shifts = (
            (self.fields[self.fields["verdict"] != "stable"], _field_finding),
            (self.categories, _category_finding),
            (self.ids[self.ids["verdict"] != "stable"], _id_finding),
            (self.text[self.text["verdict"] != "stable"], _text_finding),
        )
        out = []
        for table, finding in shifts:
            for r in table.itertuples():
                v, f = str(r.verdict), _field(str(r.kind), str(r.field))
                out.append((VERDICTS.index(v), f"{verdict[v]}: {finding(r, f, lang)}"))
        return out

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


def _field(kind: str, name: str) -> Field:
    return (HOUSEHOLD_SURVEY if kind == HOUSEHOLD_SURVEY.name else CASE)[name]


def _values(f: Field, values: str | tuple[str, ...], lang: Lang) -> str:
    """Codes (a tuple, or one code, or codes joined by ", ") in ``lang``'s labels."""
    codes = values.split(", ") if isinstance(values, str) else list(values)
    named = {c.code: c.zh if lang == "zh" else c.en for c in f.choices}
    named["(missing)"] = text("drift_missing_value", lang)
    return (
        "、".join(named.get(c, c) for c in codes)
        if lang == "zh"
        else ", ".join(named.get(c, c) for c in codes)
    )


def _field_finding(r: Any, f: Field, lang: Lang) -> str:
    """A field's distribution or missing rate moved, values appeared or vanished."""
    detail = text(
        "drift_finding_field",
        lang,
        field=f.label(lang),
        psi=f"{r.psi:.3f}",
        before=f"{r.missing_reference:.1%}",
        now=f"{r.missing_current:.1%}",
    )
    if r.new_values:
        new = _values(f, str(r.new_values), lang)
        detail += text("drift_finding_new_values", lang, values=new)
    if r.vanished_values:
        gone = _values(f, str(r.vanished_values), lang)
        detail += text("drift_vanished_values", lang, values=gone)
    return detail


def _category_finding(r: Any, f: Field, lang: Lang) -> str:
    """One category's share moved."""
    return text(
        "drift_category",
        lang,
        field=f.label(lang),
        value=_values(f, str(r.value), lang),
        before=f"{r.reference:.1%}",
        now=f"{r.current:.1%}",
        ratio=f"{r.ratio:.2f}",
    )


def _id_finding(r: Any, f: Field, lang: Lang) -> str:
    """An id-like field holds values the reference never had."""
    return text(
        "drift_ids",
        lang,
        field=f.label(lang),
        share=f"{r.unseen_share:.1%}",
        unseen=r.unseen_values,
        vanished=r.vanished_values,
    )


def _text_finding(r: Any, f: Field, lang: Lang) -> str:
    """Free text went missing more (or less) often for one value of another field."""
    by = _field(str(r.kind), str(r.by))
    return text(
        "drift_text_missing",
        lang,
        field=f.label(lang),
        by=by.label(lang),
        value=_values(by, str(r.value), lang),
        before=f"{r.missing_reference:.1%}",
        now=f"{r.missing_current:.1%}",
    )


def _is_id(kind: RecordKind, f: Field) -> bool:
    """An id that is not the row's own identity (a household's grid)."""
    return (
        f.kind == "string"
        and not f.model_input
        and f.name not in kind.key
        and f.name != "household_id"
    )


def _label_mix(reference: pd.Series, current: pd.Series) -> list[dict[str, Any]]:
    ref = reference.dropna().value_counts(normalize=True)
    cur = current.dropna().value_counts(normalize=True)
    return [
        {
            "tier": t,
            "reference": float(ref.get(t, 0.0)),
            "current": float(cur.get(t, 0.0)),
            "change": float(cur.get(t, 0.0) - ref.get(t, 0.0)),
        }
        for t in (c.code for c in TIERS)
    ]


def drift(
    reference: dict[str, pd.DataFrame],
    current: dict[str, pd.DataFrame],
    reference_labels: pd.Series | None = None,
    current_labels: pd.Series | None = None,
    *,
    reference_decisions: pd.Series | None = None,
    current_decisions: pd.Series | None = None,
) -> DriftReport:
    """Drift of every model field of ``households`` and ``cases`` frames, their enum
    categories, id-like fields and free text, and of labels (per decision when each
    label's decision, intake or screening, is given)."""
    rows, categories, ids, texts = [], [], [], []
    for name, kind in _KINDS:
        if name not in reference or name not in current:
            continue
        ref, cur = reference[name], current[name]
        for f in kind:
            if f.model_input and f.kind in ("int", "bool", "enum"):
                d = field_drift(kind, f, ref, cur)
                rows.append(
                    {
                        **d.__dict__,
                        "new_values": ", ".join(d.new_values),
                        "vanished_values": ", ".join(d.vanished_values),
                        "verdict": d.verdict,
                    }
                )
            if f.model_input and f.kind == "enum":
                categories.extend(category_shifts(kind, f, ref, cur))
            if _is_id(kind, f) and f.name in ref and f.name in cur:
                ids.append(id_drift(kind, f, ref, cur))
            if f.model_input and f.kind == "string" and "source" in kind:
                texts.extend(text_missing_by(kind, f, "source", ref, cur))
    fields = pd.DataFrame(rows)
    label_rows: list[dict[str, Any]] = []
    by_decision: list[dict[str, Any]] = []
    if reference_labels is not None and current_labels is not None:
        label_rows = _label_mix(reference_labels, current_labels)
        if reference_decisions is not None and current_decisions is not None:
            for decision in sorted(set(reference_decisions) | set(current_decisions)):
                mix = _label_mix(
                    reference_labels[(reference_decisions == decision).to_numpy()],
                    current_labels[(current_decisions == decision).to_numpy()],
                )
                by_decision.extend({"decision": decision, **r} for r in mix)
    return DriftReport(
        fields,
        pd.DataFrame(label_rows, columns=["tier", "reference", "current", "change"]),
        _frame(categories, CATEGORY_COLUMNS),
        _frame(ids, ID_COLUMNS),
        _frame(texts, TEXT_COLUMNS),
        _frame(by_decision, LABEL_COLUMNS),
    )


def unit_decisions(units: pd.DataFrame) -> pd.Series:
    """Each scoring unit's decision: intake for a case, screening for a survey wave."""
    return pd.Series(
        np.where(units["unit"].astype(str) == "case", "intake", "screening"), index=units.index
    )


def ledger_drift(
    reference: Any,
    current: Any,
    current_labels: pd.Series | None = None,
    *,
    current_units: pd.DataFrame | None = None,
) -> DriftReport:
    """:func:`drift` between two :class:`~risk.dataset.Ledger` objects, labels included,
    per decision too (``current_units``, or ``current_labels`` alone, save rebuilding the
    current ledger's units when already built)."""
    reference_units = reference.units()
    if current_units is None and current_labels is None:
        current_units = current.units()
    labels = current_units["label"] if current_units is not None else current_labels
    return drift(
        {"households": reference.households, "cases": reference.cases},
        {"households": current.households, "cases": current.cases},
        reference_units["label"],
        labels,
        reference_decisions=unit_decisions(reference_units),
        current_decisions=None if current_units is None else unit_decisions(current_units),
    )
