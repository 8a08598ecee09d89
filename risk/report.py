"""The model card: one self-contained HTML page a supervisor can read.

Data summary, metrics beside the baselines and the champion, calibration and ROC/PR plots,
tier mix, the subgroup (fairness) table, drift from the champion's ledger, the policy and
thresholds, and known limitations. Plots are embedded as PNG data, so the file stands
alone; it is also logged to the model's MLflow run.
"""

from __future__ import annotations

import base64
import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape

from risk.assess import Prepared, assess, prepare
from risk.atomic import atomic_write
from risk.dataset import load_ledger
from risk.drift import ledger_drift
from risk.evaluate import Evaluation, decision_plots, metric_cells, targets_missed
from risk.i18n import both
from risk.models.decision import DECISIONS
from risk.models.tiers import TIERS, tier_codes
from risk.models.triage import TriageModel
from risk.registry import Registry

__all__ = ["SECTIONS", "render_card", "write_report"]

#: The report's sections, in order (ids of the HTML sections; the test checks them).
SECTIONS = (
    "data",
    "metrics",
    "calibration",
    "tiers",
    "subgroups",
    "drift",
    "policy",
    "limitations",
)
SHOWN = (
    "auroc_red",
    "auroc_yellow_or_red",
    "pr_auc_red",
    "brier_red",
    "ece_green",
    "ece_yellow",
    "ece_red",
    "tier_red_recall",
    "tier_red_share",
    "tier_red_precision",
    "tier_green_red_rate",
    "tier_yellow_or_red_recall",
    "tier_mix_green",
    "observed_expected_red",
    "review_share",
    "set_coverage_green",
    "set_coverage_yellow",
    "set_coverage_red",
)
LIMITATIONS = (
    "Probabilities are calibrated on the period after training; a ledger from a different "
    "county or years later may drift (see the drift section) and needs re-checking.",
    "The label counts what the ledger recorded: harm that never reached a grid worker, the "
    "police or a court is invisible to the model and to these figures.",
    "Red-flag floors are structured professional judgement and override the model; they "
    "are reported as flags, apart from the model's reasons.",
    "Case intake and household screening are decided apart: a case's figures are never "
    "pooled with a survey's, and the pooled line is given only for comparison.",
    "Where a decision's calibration period holds few red events, its thresholds come from "
    "capacity and the minimum red probability alone, and its figures are uncertain.",
    "Subgroups with few red units have wide uncertainty; their gaps are shown but not gated.",
)


def _png(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode()


def write_report(
    model_ref: str,
    data_dir: Path,
    out: Path,
    uri: str | None = None,
    *,
    extract_date: str | None = None,
) -> Path:
    """Assess ``model_ref`` on ``data_dir``'s test period and write the model card."""
    registry = Registry(uri)
    model = registry.load(model_ref)
    data = prepare(load_ledger(data_dir, extract_date))
    champion = registry.champion()
    champion_model, drift_table = None, None
    if champion is not None:
        if str(champion.version) != str(model.info.version):
            champion_model = registry.load(f"models:/{registry.name}/{champion.version}")
        with tempfile.TemporaryDirectory() as tmp:
            reference = registry.ledger_of(champion, Path(tmp))
            if reference is not None:
                drifted = ledger_drift(reference, data.ledger, current_units=data.units)
                drift_table = drifted.fields.sort_values("psi", ascending=False).head(15)
    evaluation = assess(model, data, champion=champion_model)
    html = render_card(model, data, evaluation, drift_table)
    with atomic_write(out) as tmp_path:
        tmp_path.write_text(html, encoding="utf-8")
    _log(registry, model, out)
    return out


def render_card(
    model: TriageModel, data: Prepared, evaluation: Evaluation, drift: pd.DataFrame | None
) -> str:
    """The card's HTML from an assessment already made (nothing is re-evaluated here)."""
    names = list(evaluation.scored)
    decisions = []
    for decision in DECISIONS:
        rows = [
            (key, metric_cells(evaluation.metrics, f"test_{decision}", names, key)) for key in SHOWN
        ]
        decisions.append((decision, both(f"decision_{decision}"), rows))
    with tempfile.TemporaryDirectory() as tmp:
        plots = decision_plots(evaluation, tier_codes(data.test.labels), Path(tmp))
        images = {d: [_png(p) for p in paths] for d, paths in plots.items()}
    ledger, units = data.ledger, data.units
    label_mix = units["label"].value_counts(normalize=True)
    context: dict[str, Any] = {
        "info": model.info,
        "generated": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "data": {
            "households": int(ledger.households["household_id"].nunique()),
            "survey_waves": len(ledger.households),
            "cases": len(ledger.cases),
            "units": len(units),
            "labelled": int(units["label"].notna().sum()),
            "periods": [
                (s.name, s.start.date(), s.end.date(), len(s.units)) for s in data.splits.values()
            ],
            "label_mix": [(t, float(label_mix.get(t, 0.0))) for t in TIERS],
            "versions": ledger.versions,
        },
        "names": names,
        "decisions": decisions,
        "missed": targets_missed(evaluation, model.policy),
        "images": images,
        "subgroups": evaluation.subgroups.round(4).to_dict("records"),
        "subgroup_columns": list(evaluation.subgroups.columns),
        "drift": None if drift is None else drift.round(4).to_dict("records"),
        "policy": model.policy,
        "thresholds": {d: m.thresholds for d, m in model.decisions.items()},
        "limitations": LIMITATIONS,
        "sections": SECTIONS,
    }
    env = Environment(loader=PackageLoader("risk", "templates"), autoescape=select_autoescape())
    return env.get_template("report.html.j2").render(**context)


def _log(registry: Registry, model: Any, out: Path) -> None:
    """Attach the report to the model's run when the model is registered."""
    try:
        version = registry.version_of(str(model.info.version))
    except Exception:
        return
    registry.client.log_artifact(version.run_id, str(out), "reports")
