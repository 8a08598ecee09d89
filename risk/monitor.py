"""The model in service, watched: outcomes against predictions, per decision, month and tier.

Input is what the service recorded: each scored unit (decision, date, tier served, the
tier after any override, the probabilities, the model version) and the ledger it keeps
(survey waves, cases with outcomes), from which each unit's label is read exactly as in
training (:func:`risk.features.label_units`; known only once its 90-day window has passed
by the ledger's extract date). Figures, per decision (case intake, household screening),
calendar month and tier (and all tiers, all months):

- units scored, outcomes known so far;
- observed and predicted red and yellow-or-red rates on the units with outcomes, the
  observed with a 95% Wilson interval; observed over expected (O/E) and calibration in
  the large (observed minus predicted) for red; the calibration slope (logistic
  regression of the red outcome on logit P(red), 1 when calibrated) with its interval;
- PPV of red (red-tiered units that ended red), NPV of green (green-tiered units that did
  not), override rates (up, down);
- before outcomes arrive, a label-free estimate from the calibrated probabilities
  (confidence-based performance estimation, like NannyML's CBPE): expected red rate, PPV,
  NPV and red AUROC, treating each unit's P(red) as the chance it ends red. It assumes
  the probabilities are still calibrated on the new units, i.e. only the inputs moved
  (covariate shift) and not what an input means for the outcome (concept shift); it
  cannot see the latter, which is why the observed figures and their bands follow.

Each figure is judged against the band in ``risk/config/gate.yaml`` (``monitoring``) once
enough outcomes are known. A calibration figure (O/E, slope, calibration in the large)
alerts when it is outside its band and its 95% interval excludes the calibrated value (1,
or 0): miscalibrated beyond chance, by more than the band allows. Any other figure alerts
when its whole 95% interval lies outside the band. Not a chance wobble either way.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from risk.dataset import Ledger
from risk.drift import DriftReport, psi
from risk.errors import ContractError
from risk.features import label_units
from risk.i18n import Lang, both, text
from risk.models.decision import DECISIONS
from risk.models.tiers import TIERS
from risk.registry import gate_settings

__all__ = [
    "SCORE_COLUMNS",
    "Bands",
    "MonitorReport",
    "Reference",
    "champion_reference",
    "expected_auroc",
    "label_scores",
    "load_bands",
    "monitor",
    "prediction_shift",
    "scores_of",
    "since",
    "watch",
    "wilson",
]

#: The columns of a scores table (the service's ``scores.parquet`` export).
SCORE_COLUMNS = (
    "unit",  # case or survey
    "household_id",
    "case_id",
    "grid_id",
    "as_of",
    "decision",
    "tier",  # the tier served
    "final_tier",  # after any override
    "p_green",
    "p_yellow",
    "p_red",
    "model_version",
)
#: Optional columns of a scores table the fairness audit cuts by.
SUBGROUPS = ("area", "source", "dispute_type", "counterpart", "grid_id")
ALL = "all"
Z = 1.959964


def wilson(hits: float, n: float) -> tuple[float, float]:
    """The 95% Wilson interval of a rate of ``hits`` in ``n`` (NaN, NaN when n is 0)."""
    if n <= 0:
        return float("nan"), float("nan")
    p = hits / n
    centre = (p + Z**2 / (2 * n)) / (1 + Z**2 / n)
    half = Z * np.sqrt(p * (1 - p) / n + Z**2 / (4 * n**2)) / (1 + Z**2 / n)
    return float(max(centre - half, 0.0)), float(min(centre + half, 1.0))


def calibration_slope(y: np.ndarray, p: np.ndarray) -> tuple[float, float, float]:
    """Slope of the logistic regression of ``y`` on logit(``p``), with its 95% interval
    (maximum likelihood, Wald interval); NaN without both outcomes."""
    nan = float("nan")
    if y.size < 3 or y.all() or not y.any():
        return nan, nan, nan
    from sklearn.linear_model import LogisticRegression

    x = np.log(np.clip(p, 1e-9, 1 - 1e-9) / np.clip(1 - p, 1e-9, 1))
    if np.ptp(x) < 1e-9:
        return nan, nan, nan  # one probability for every unit: no slope to fit
    fit = LogisticRegression(C=np.inf, max_iter=1000).fit(x[:, None], y.astype(int))
    beta = np.array([fit.intercept_[0], fit.coef_[0, 0]])
    X = np.column_stack([np.ones_like(x), x])
    mu = 1 / (1 + np.exp(-np.clip(X @ beta, -30, 30)))
    info = X.T @ (X * (mu * (1 - mu))[:, None])
    try:
        with np.errstate(invalid="ignore", over="ignore"):
            variance = float(np.linalg.inv(info)[1, 1])
    except np.linalg.LinAlgError:
        return nan, nan, nan
    if not np.isfinite(variance) or variance <= 0 or not np.isfinite(beta).all():
        return nan, nan, nan  # separated outcomes (probabilities of 0 and 1): no slope
    se = float(np.sqrt(variance))
    return float(beta[1]), float(beta[1] - Z * se), float(beta[1] + Z * se)


def expected_auroc(p: np.ndarray, score: np.ndarray | None = None) -> float:
    """The AUROC a calibrated ``p`` implies (each unit red with chance p_i), ranking by
    ``score`` (default ``p``): Σ p_i (1 − p_j) over pairs i ranked above j, over all pairs."""
    score = p if score is None else score
    order = np.argsort(score, kind="stable")
    ps, ss = p[order], score[order]
    neg = pd.Series(1 - ps)
    tied = neg.groupby(ss)
    earlier_tied = tied.cumsum().to_numpy() - neg.to_numpy()
    strictly_below = np.cumsum(neg.to_numpy()) - neg.to_numpy() - earlier_tied
    below = strictly_below + 0.5 * (tied.transform("sum").to_numpy() - neg.to_numpy())
    pairs = ps.sum() * (1 - ps).sum() - (ps * (1 - ps)).sum()
    return float((ps * below).sum() / pairs) if pairs > 0 else float("nan")


@dataclass(frozen=True)
class Bands:
    """The monitoring bands of ``gate.yaml``: per decision, figure → (low, high)."""

    min_outcomes: int
    figures: dict[str, dict[str, tuple[float, float]]]

    def of(self, decision: str) -> dict[str, tuple[float, float]]:
        return self.figures.get(decision, {})


def load_bands() -> Bands:
    """The ``monitoring`` section of ``risk/config/gate.yaml``."""
    data = gate_settings().get("monitoring") or {}
    figures = {}
    for decision in DECISIONS:
        bands = data.get(decision) or {}
        figures[decision] = {k: (float(v[0]), float(v[1])) for k, v in bands.items()}
    return Bands(int(data.get("min_outcomes", 100)), figures)


def label_scores(scores: pd.DataFrame, ledger: Ledger) -> pd.DataFrame:
    """The scored units with their labels read from ``ledger`` (NA while unknown)."""
    missing = [c for c in SCORE_COLUMNS if c not in scores]
    if missing:
        raise ContractError(f"scores: missing columns {', '.join(missing)}")
    units = scores.copy()
    units["as_of"] = pd.to_datetime(units["as_of"]).dt.normalize()
    units["household_id"] = units["household_id"].astype("string")
    units["case_id"] = units["case_id"].astype("string")
    if len(ledger.cases):
        units["label"] = label_units(units, ledger.cases, ledger.extract_date).to_numpy()
    else:
        units["label"] = pd.Categorical([None] * len(units), categories=list(TIERS))
    units["month"] = units["as_of"].dt.strftime("%Y-%m")
    return units


def _figures(part: pd.DataFrame) -> dict[str, float]:
    """Every figure of one cell (decision × month × tier) of the labelled scores."""
    known = part[part["label"].notna()]
    y_red = (known["label"] == "red").to_numpy()
    y_yor = (known["label"] != "green").to_numpy()
    p_red_all = part["p_red"].to_numpy(float)
    p_red = known["p_red"].to_numpy(float)
    p_yor = 1 - known["p_green"].to_numpy(float)
    n_known = len(known)
    out: dict[str, float] = {"n_scored": float(len(part)), "n_outcomes": float(n_known)}
    red_lo, red_hi = wilson(y_red.sum(), n_known)
    yor_lo, yor_hi = wilson(y_yor.sum(), n_known)
    expected = float(p_red.sum())
    out |= {
        "observed_red": float(y_red.mean()) if n_known else np.nan,
        "observed_red_low": red_lo,
        "observed_red_high": red_hi,
        "predicted_red": float(p_red.mean()) if n_known else np.nan,
        "observed_yellow_or_red": float(y_yor.mean()) if n_known else np.nan,
        "observed_yellow_or_red_low": yor_lo,
        "observed_yellow_or_red_high": yor_hi,
        "predicted_yellow_or_red": float(p_yor.mean()) if n_known else np.nan,
        "observed_expected_red": float(y_red.sum() / expected) if expected > 0 else np.nan,
        "observed_expected_yellow_or_red": float(y_yor.sum() / p_yor.sum())
        if p_yor.sum() > 0
        else np.nan,
        "observed_expected_yellow_or_red_low": yor_lo * n_known / p_yor.sum()
        if p_yor.sum() > 0
        else np.nan,
        "observed_expected_yellow_or_red_high": yor_hi * n_known / p_yor.sum()
        if p_yor.sum() > 0
        else np.nan,
        "observed_expected_red_low": red_lo * n_known / expected if expected > 0 else np.nan,
        "observed_expected_red_high": red_hi * n_known / expected if expected > 0 else np.nan,
        "citl_red": float(y_red.mean() - p_red.mean()) if n_known else np.nan,
        "citl_red_low": red_lo - float(p_red.mean()) if n_known else np.nan,
        "citl_red_high": red_hi - float(p_red.mean()) if n_known else np.nan,
    }
    slope, lo, hi = calibration_slope(y_red.astype(float), p_red)
    out |= {"calibration_slope_red": slope, "calibration_slope_red_low": lo}
    out["calibration_slope_red_high"] = hi
    tiers = known["tier"].astype(str).to_numpy()
    for name, rows, hit in (
        ("ppv_red", tiers == "red", y_red),
        ("npv_green", tiers == "green", ~y_red),
    ):
        lo, hi = wilson(hit[rows].sum(), rows.sum())
        out[name] = float(hit[rows].mean()) if rows.any() else np.nan
        out[f"{name}_low"], out[f"{name}_high"] = lo, hi
    served, final = part["tier"].astype(str), part["final_tier"].astype(str)
    rank = {t: i for i, t in enumerate(TIERS)}
    up = (final.map(rank) > served.map(rank)).to_numpy()
    down = (final.map(rank) < served.map(rank)).to_numpy()
    changed = up | down
    lo, hi = wilson(changed.sum(), len(part))
    out |= {
        "override_rate": float(changed.mean()) if len(part) else np.nan,
        "override_rate_low": lo,
        "override_rate_high": hi,
        "override_up_rate": float(up.mean()) if len(part) else np.nan,
        "override_down_rate": float(down.mean()) if len(part) else np.nan,
    }
    all_tiers = part["tier"].astype(str).to_numpy()
    red_rows, green_rows = all_tiers == "red", all_tiers == "green"
    out |= {
        "estimated_red": float(p_red_all.mean()) if len(part) else np.nan,
        "estimated_ppv_red": float(p_red_all[red_rows].mean()) if red_rows.any() else np.nan,
        "estimated_npv_green": float(1 - p_red_all[green_rows].mean())
        if green_rows.any()
        else np.nan,
        "estimated_auroc_red": expected_auroc(p_red_all) if len(part) > 1 else np.nan,
    }
    return out


#: Bins of a probability when the reference's deciles are too few to bin by.
FIXED_BINS = (0.0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1.0)


def prediction_shift(reference: np.ndarray, current: np.ndarray) -> float:
    """PSI of predicted probabilities, binned at the reference's deciles."""
    if not len(reference) or not len(current):
        return float("nan")
    edges = np.unique(np.quantile(reference, np.linspace(0, 1, 11)))
    if edges.size < 4:  # a few distinct values (floors, a small model): fixed bins
        edges = np.array(FIXED_BINS)
    inner = np.r_[-np.inf, edges[1:-1], np.inf]
    ref = pd.Series(pd.cut(reference, inner).astype(str)).value_counts(normalize=True)
    cur = pd.Series(pd.cut(current, inner).astype(str)).value_counts(normalize=True)
    return psi(ref, cur)


@dataclass
class MonitorReport:
    """The monitor's figures, alerts, drift and the label-free estimates."""

    #: One row per decision × month × tier (``all`` for every month / every tier).
    figures: pd.DataFrame
    #: One row per figure outside its band: decision, month, figure, value, band, interval.
    alerts: pd.DataFrame
    #: Per decision: PSI of P(red) and P(yellow or red) against the champion's own units.
    prediction_shift: pd.DataFrame
    drift: DriftReport | None = None
    #: The fairness audit per decision (risk.fairness.audit) on units with outcomes.
    fairness: pd.DataFrame = field(default_factory=pd.DataFrame)
    generated: str = field(
        default_factory=lambda: dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    )

    def alert_lines(self, lang: Lang = "zh") -> list[str]:
        """Each alert as a sentence in ``lang`` ("every figure is within its band" if none)."""
        if self.alerts.empty:
            return [text("monitor_no_alerts", lang)]
        out = []
        for r in self.alerts.itertuples():
            where = r.month if r.month != ALL else text("monitor_all_months", lang)
            out.append(
                text(
                    "monitor_alert",
                    lang,
                    decision=text(f"decision_{r.decision}", lang)
                    if r.decision != ALL
                    else text("monitor_all_decisions", lang),
                    figure=text(f"monitor_figure_{r.figure}", lang),
                    value=f"{r.value:.4g}",
                    low=f"{r.low:g}",
                    high=f"{r.high:g}",
                    where=where,
                )
            )
        return out

    def gauges(self) -> dict[tuple[str, str], float]:
        """(decision, figure) → value over every month and tier: what Prometheus shows."""
        rows = self.figures[(self.figures["month"] == ALL) & (self.figures["tier"] == ALL)]
        out = {}
        for r in rows.to_dict("records"):
            for figure in GAUGED:
                value = r.get(figure)
                if value is not None and value == value:
                    out[(str(r["decision"]), figure)] = float(value)
        for r in self.prediction_shift.to_dict("records"):
            for figure in ("psi_p_red", "psi_p_yellow_or_red"):
                if r[figure] == r[figure]:
                    out[(str(r["decision"]), figure)] = float(r[figure])
        for decision in DECISIONS:
            out[(decision, "alerts")] = float((self.alerts["decision"] == decision).sum())
        return out


#: The figures exported as gauges (and judged against bands when a band is set).
GAUGED = (
    "n_scored",
    "n_outcomes",
    "observed_red",
    "predicted_red",
    "observed_yellow_or_red",
    "predicted_yellow_or_red",
    "observed_expected_red",
    "observed_expected_yellow_or_red",
    "citl_red",
    "calibration_slope_red",
    "ppv_red",
    "npv_green",
    "override_rate",
    "estimated_red",
    "estimated_ppv_red",
    "estimated_npv_green",
    "estimated_auroc_red",
)
#: The short list a terminal or a page shows per decision (the report shows GAUGED).
SUMMARY = (
    "n_scored",
    "n_outcomes",
    "observed_red",
    "predicted_red",
    "observed_expected_red",
    "observed_expected_yellow_or_red",
    "calibration_slope_red",
    "ppv_red",
    "npv_green",
    "override_rate",
    "estimated_auroc_red",
)
#: Figures with an ideal value: an alert when outside the band and the interval excludes it.
IDEAL = {
    "observed_expected_red": 1.0,
    "observed_expected_yellow_or_red": 1.0,
    "calibration_slope_red": 1.0,
    "citl_red": 0.0,
}
#: Figures whose bands need outcomes (judged only with ``min_outcomes`` of them).
NEED_OUTCOMES = {
    "observed_red",
    "observed_expected_yellow_or_red",
    "observed_yellow_or_red",
    "observed_expected_red",
    "citl_red",
    "calibration_slope_red",
    "ppv_red",
    "npv_green",
}


def _cells(units: pd.DataFrame) -> list[dict[str, Any]]:
    rows = []
    for decision in DECISIONS:
        mine = units[units["decision"] == decision]
        if mine.empty:
            continue
        for month in [ALL, *sorted(mine["month"].unique())]:
            in_month = mine if month == ALL else mine[mine["month"] == month]
            for tier in (ALL, *TIERS):
                part = in_month if tier == ALL else in_month[in_month["tier"] == tier]
                if part.empty:
                    continue
                rows.append({"decision": decision, "month": month, "tier": tier, **_figures(part)})
    return rows


def _alerts(figures: pd.DataFrame, bands: Bands, shift: pd.DataFrame) -> pd.DataFrame:
    """The all-tiers rows' figures that leave their band beyond chance (module docstring)."""
    out = []
    rows = figures[figures["tier"] == ALL].to_dict("records")
    rows += [{"month": ALL, **r} for r in shift.to_dict("records")]
    for r in rows:
        for figure, (low, high) in bands.of(str(r["decision"])).items():
            value = r.get(figure)
            if value is None or value != value:
                continue
            if figure in NEED_OUTCOMES and r.get("n_outcomes", 0) < bands.min_outcomes:
                continue
            lo, hi = r.get(f"{figure}_low", value), r.get(f"{figure}_high", value)
            lo, hi = (value, value) if lo != lo or hi != hi else (lo, hi)
            ideal = IDEAL.get(figure)
            if ideal is not None:  # outside the band, and miscalibrated beyond chance
                alert = not low <= value <= high and not lo <= ideal <= hi
            else:  # the whole interval outside the band
                alert = hi < low or lo > high
            if alert:
                out.append(
                    {
                        "decision": r["decision"],
                        "month": r["month"],
                        "figure": figure,
                        "value": float(value),
                        "interval_low": float(lo),
                        "interval_high": float(hi),
                        "low": low,
                        "high": high,
                    }
                )
    columns = ["decision", "month", "figure", "value", "interval_low", "interval_high"]
    return pd.DataFrame(out, columns=[*columns, "low", "high"])


def monitor(
    scores: pd.DataFrame,
    ledger: Ledger,
    *,
    reference: pd.DataFrame | None = None,
    drift: DriftReport | None = None,
    bands: Bands | None = None,
    fairness: bool = False,
) -> MonitorReport:
    """The monitor over ``scores`` (:data:`SCORE_COLUMNS`) labelled from ``ledger``.

    ``reference``: the champion's own predictions on its training units (columns
    decision, p_green, p_red), for the shift of predicted probabilities; ``drift``: the
    incoming records against the champion's training ledger.
    """
    bands = bands or load_bands()
    units = label_scores(scores, ledger)
    figures = pd.DataFrame(_cells(units))
    if figures.empty:  # nothing scored yet
        figures = pd.DataFrame(columns=["decision", "month", "tier", *GAUGED])
    shift_rows = []
    if reference is not None:
        for decision in DECISIONS:
            ref = reference[reference["decision"] == decision]
            cur = units[units["decision"] == decision]
            if ref.empty or cur.empty:
                continue
            shift_rows.append(
                {
                    "decision": decision,
                    "psi_p_red": prediction_shift(ref["p_red"].to_numpy(), cur["p_red"].to_numpy()),
                    "psi_p_yellow_or_red": prediction_shift(
                        1 - ref["p_green"].to_numpy(), 1 - cur["p_green"].to_numpy()
                    ),
                    "reference_p_red": float(ref["p_red"].mean()),
                    "current_p_red": float(cur["p_red"].mean()),
                }
            )
    shift = pd.DataFrame(
        shift_rows,
        columns=[
            "decision",
            "psi_p_red",
            "psi_p_yellow_or_red",
            "reference_p_red",
            "current_p_red",
        ],
    )
    report = MonitorReport(figures, _alerts(figures, bands, shift), shift, drift)
    if fairness:
        report.fairness = _fairness(units)
    return report


def _fairness(units: pd.DataFrame) -> pd.DataFrame:
    """The subgroup audit of each decision on the units whose outcome is known."""
    from risk.fairness import audit

    n_boot = int(gate_settings().get("fairness_bootstrap", 100))
    tables = []
    for decision in DECISIONS:
        known = units[(units["decision"] == decision) & units["label"].notna()]
        if known.empty:
            continue
        present = [c for c in SUBGROUPS if c in known]
        groups = known[present].astype(object).where(known[present].notna(), "missing")
        proba = known[["p_green", "p_yellow", "p_red"]].to_numpy(float)
        table = audit(groups, known["label"], proba, known["tier"].astype(str), n_boot=n_boot)
        table.insert(0, "decision", decision)
        tables.append(table)
    return pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()


def decision_label(decision: str) -> tuple[str, str]:
    return both(f"decision_{decision}")


@dataclass(frozen=True)
class Reference:
    """What the champion was trained on: its ledger and its own predictions there."""

    version: str
    ledger: Ledger
    predictions: pd.DataFrame
    units: pd.DataFrame


def champion_reference(uri: str | None = None) -> Reference | None:
    """The champion's training ledger (logged with its run) and its predictions on that
    ledger's units, or None without a champion or a logged ledger."""
    import tempfile
    from pathlib import Path

    from risk.registry import Registry

    registry = Registry(uri)
    champion = registry.champion()
    if champion is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        ledger = registry.ledger_of(champion, Path(tmp))
    if ledger is None:
        return None
    model = registry.load(f"models:/{registry.name}/{champion.version}")
    units = ledger.units()
    frame = model.predict_frame(units, reasons=False)
    predictions = pd.DataFrame(
        {
            "decision": frame["decision"].astype(str).to_numpy(),
            "p_green": frame["p_green"].to_numpy(float),
            "p_red": frame["p_red"].to_numpy(float),
        }
    )
    return Reference(str(champion.version), ledger, predictions, units)


def since(
    scores: pd.DataFrame, ledger: Ledger, first: dt.date | None
) -> tuple[pd.DataFrame, Ledger]:
    """The scores and the ledger's records dated on or after ``first`` (all when None)."""
    if first is None:
        return scores, ledger
    day = pd.Timestamp(first)
    h, c = ledger.households, ledger.cases
    return scores[pd.to_datetime(scores["as_of"]) >= day], Ledger(
        h[h["survey_date"] >= day], c[c["opened_at"] >= day], ledger.versions
    )


def watch(
    scores: pd.DataFrame,
    ledger: Ledger,
    reference: Reference | None,
    *,
    first: dt.date | None = None,
    fairness: bool = True,
) -> MonitorReport:
    """The monitor over the scores dated from ``first``, labelled from the whole ledger,
    with the drift of those records and of their predictions from the champion's."""
    from risk.drift import drift as field_drift
    from risk.drift import unit_decisions

    recent, records = since(scores, ledger, first)
    drifted = None
    if reference is not None and len(recent):
        labelled = label_scores(recent, ledger)
        drifted = field_drift(
            {"households": reference.ledger.households, "cases": reference.ledger.cases},
            {"households": records.households, "cases": records.cases},
            reference.units["label"],
            labelled["label"],
            reference_decisions=unit_decisions(reference.units),
            current_decisions=labelled["decision"].astype(str),
        )
    report = monitor(
        recent,
        ledger,
        reference=None if reference is None else reference.predictions,
        drift=drifted,
        fairness=fairness,
    )
    if drifted is not None:
        report.alerts = pd.concat([report.alerts, _drift_alert(drifted)], ignore_index=True)
    return report


def _drift_alert(drifted: DriftReport) -> pd.DataFrame:
    """An alert when the incoming records hold more major shifts than the band allows."""
    limit = int((gate_settings().get("monitoring") or {}).get("major_drift_findings", 0))
    found = sum(1 for line in drifted.findings("en") if line.startswith(text("drift_major", "en")))
    if found <= limit:
        return pd.DataFrame()
    row = {"decision": ALL, "month": ALL, "figure": "major_drift_findings", "value": float(found)}
    return pd.DataFrame(
        [{**row, "interval_low": found, "interval_high": found, "low": 0, "high": limit}]
    )


def scores_of(model: Any, ledger: Ledger) -> pd.DataFrame:
    """The ledger's units scored by ``model`` as the service records them
    (:data:`SCORE_COLUMNS`): what monitoring a ledger scored outside the service reads."""
    units = ledger.units()
    frame = model.predict_frame(units, reasons=False)
    tiers = frame["tier"].astype(str).to_numpy()
    grids = ledger.households.drop_duplicates("household_id").set_index("household_id")["grid_id"]
    out = pd.DataFrame(
        {
            "unit": units["unit"].astype(str).to_numpy(),
            "household_id": units["household_id"].astype(str).to_numpy(),
            "case_id": units["case_id"].to_numpy(),
            "grid_id": units["household_id"].map(grids).to_numpy(),
            "as_of": pd.to_datetime(units["as_of"]).to_numpy(),
            "decision": frame["decision"].astype(str).to_numpy(),
            "tier": tiers,
            "final_tier": tiers,
            "p_green": frame["p_green"].to_numpy(float),
            "p_yellow": frame["p_yellow"].to_numpy(float),
            "p_red": frame["p_red"].to_numpy(float),
            "model_version": str(model.info.version),
        }
    )
    for name in SUBGROUPS[:-1]:
        if name in units:
            out[name] = units[name].astype(object).to_numpy()
    return out
