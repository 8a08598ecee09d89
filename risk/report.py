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

from jinja2 import Environment, PackageLoader, select_autoescape

from risk.atomic import atomic_write
from risk.dataset import grid_groups, load_ledger, time_split, unlabelled
from risk.drift import ledger_drift
from risk.evaluate import Scored, decision_plots, evaluate, metric_cells, targets_missed
from risk.i18n import both
from risk.models.decision import DECISIONS
from risk.models.tiers import TIERS, tier_codes
from risk.registry import Registry

__all__ = ["SECTIONS", "write_report"]

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
    """Evaluate ``model_ref`` on ``data_dir``'s test period and write the model card."""
    from risk.models.policy import load_policy
    from risk.train import baselines

    registry = Registry(uri)
    model = registry.load(model_ref)
    ledger = load_ledger(data_dir, extract_date)
    units = ledger.units()
    splits = time_split(units)
    test = splits["test"]
    policy = model.policy
    scorers = baselines(
        splits, policy if policy else load_policy(), model.encoder, test, unlabelled(units)
    )
    champion = registry.champion()
    if champion is not None and str(champion.version) != str(model.info.version):
        champ_model = registry.load(f"models:/{registry.name}/{champion.version}")
        frame = champ_model.predict_frame(test.units, reasons=False)
        scorers["champion"] = Scored(
            frame[["p_green", "p_yellow", "p_red"]].to_numpy(), frame["tier"].astype(str).to_numpy()
        )
    groups = grid_groups(test.units, splits["train"].units)
    evaluation = evaluate(
        model, test.units, test.labels, prefix="test", baselines=scorers, grid_group=groups
    )
    metrics = evaluation.metrics
    names = list(evaluation.scored)
    decisions = []
    for decision in DECISIONS:
        rows = [(key, metric_cells(metrics, f"test_{decision}", names, key)) for key in SHOWN]
        decisions.append((decision, both(f"decision_{decision}"), rows))
    missed = targets_missed(evaluation, model.policy)

    drift_table = None
    if champion is not None:
        with tempfile.TemporaryDirectory() as tmp:
            reference = registry.ledger_of(champion, Path(tmp))
            if reference is not None:
                report = ledger_drift(reference, ledger, units["label"])
                drift_table = report.fields.sort_values("psi", ascending=False).head(15)

    with tempfile.TemporaryDirectory() as tmp:
        plots = decision_plots(evaluation, tier_codes(test.labels), Path(tmp))
        images = {d: [_png(p) for p in paths] for d, paths in plots.items()}
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
                (s.name, s.start.date(), s.end.date(), len(s.units)) for s in splits.values()
            ],
            "label_mix": [(t, float(label_mix.get(t, 0.0))) for t in TIERS],
            "versions": ledger.versions,
        },
        "names": names,
        "decisions": decisions,
        "missed": missed,
        "images": images,
        "subgroups": evaluation.subgroups.round(4).to_dict("records"),
        "subgroup_columns": list(evaluation.subgroups.columns),
        "drift": None if drift_table is None else drift_table.round(4).to_dict("records"),
        "policy": policy,
        "thresholds": {d: m.thresholds for d, m in model.decisions.items()},
        "limitations": LIMITATIONS,
        "sections": SECTIONS,
    }
    env = Environment(loader=PackageLoader("risk", "templates"), autoescape=select_autoescape())
    html = env.get_template("report.html.j2").render(**context)
    with atomic_write(out) as tmp_path:
        tmp_path.write_text(html, encoding="utf-8")
    _log(registry, model, out)
    return out


def _log(registry: Registry, model: Any, out: Path) -> None:
    """Attach the report to the model's run when the model is registered."""
    try:
        version = registry.version_of(str(model.info.version))
    except Exception:
        return
    registry.client.log_artifact(version.run_id, str(out), "reports")
