"""The model card: one self-contained HTML page a supervisor can read.

Data summary, metrics beside the baselines and the champion, calibration and ROC/PR plots,
tier mix, the subgroup audit (:func:`risk.fairness.audit`: each subgroup's figures and gaps
with their 95% intervals, or "证据不足 / insufficient evidence"), drift from the
champion's ledger, the policy and thresholds, and known limitations. Plots are embedded as
PNG data, so the file stands alone; it is also logged to the model's MLflow run.
"""

from __future__ import annotations

import base64
import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape

from risk.assess import Prepared, assess, prepare
from risk.atomic import atomic_write
from risk.dataset import load_ledger
from risk.drift import ledger_drift
from risk.evaluate import Evaluation, decision_plots, metric_cells, targets_missed
from risk.fairness import FIGURES, status_label
from risk.i18n import both
from risk.models.decision import DECISIONS
from risk.models.tiers import TIERS, tier_codes
from risk.models.triage import TriageModel
from risk.registry import Registry, fairness_minimums, gate_settings

__all__ = ["SECTIONS", "render_card", "subgroup_tables", "write_report"]

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
    "Subgroups with few units or few red outcomes read 'insufficient evidence': their "
    "figures are shown for reading, without an interval, and are neither gated nor passed.",
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
        "subgroups": subgroup_tables(evaluation.subgroups),
        "subgroup_figures": [both(f"fairness_figure_{m}") for m in FIGURES],
        "subgroup_note": subgroup_note(),
        "drift": None if drift is None else drift.round(4).to_dict("records"),
        "policy": model.policy,
        "thresholds": {d: m.thresholds for d, m in model.decisions.items()},
        "limitations": LIMITATIONS,
        "sections": SECTIONS,
    }
    return templates().get_template("report.html.j2").render(**context)


def templates() -> Environment:
    """The card's Jinja environment (``risk/templates``, HTML escaped)."""
    return Environment(loader=PackageLoader("risk", "templates"), autoescape=select_autoescape())


def subgroup_tables(table: pd.DataFrame) -> list[dict[str, Any]]:
    """The subgroup audit of each decision as the card's rows: per subgroup its counts, its
    status in zh and en, and per figure the figure and its gap to all units, each with its
    95% interval where it has one ("0.8123 [0.7500, 0.8700]"); "—" for an undefined one."""
    out = []
    for decision in DECISIONS:
        mine = table[table["decision"] == decision] if "decision" in table else table.iloc[:0]
        if mine.empty:
            continue
        every = mine.drop_duplicates("metric").set_index("metric")["all_units"]
        rows = []
        for (group, value), sub in mine.groupby(["group", "value"], sort=False):
            figures = sub.set_index("metric").to_dict("index")
            first = sub.iloc[0]
            cells = []
            for metric in FIGURES:
                r = figures[metric]
                cells.append(
                    (
                        _with_interval(r["figure"], r["low"], r["high"]),
                        _with_interval(r["gap"], r["gap_low"], r["gap_high"], sign=True),
                    )
                )
            rows.append(
                {
                    "group": group,
                    "value": value,
                    "n": int(first["n"]),
                    "n_red": int(first["n_red"]),
                    "status": first["status"],
                    "label": status_label(str(first["status"])),
                    "cells": cells,
                }
            )
        out.append(
            {
                "decision": decision,
                "label": both(f"decision_{decision}"),
                "all_units": [_number(every.get(m, np.nan)) for m in FIGURES],
                "rows": rows,
            }
        )
    return out


def subgroup_note() -> tuple[str, str]:
    """What the subgroup section's statuses and intervals mean, in zh and en."""
    need_units, need_red = fairness_minimums()
    n_boot = int(gate_settings().get("fairness_bootstrap", 100))
    return both("fairness_card_note", need_units=need_units, need_red=need_red, n_boot=n_boot)


def _number(value: float, sign: bool = False) -> str:
    value = float(value)
    return "—" if not np.isfinite(value) else f"{value:+.4f}" if sign else f"{value:.4f}"


def _with_interval(value: float, low: float, high: float, sign: bool = False) -> str:
    if not np.isfinite(float(value)) or not (np.isfinite(float(low)) and np.isfinite(float(high))):
        return _number(value, sign)
    return f"{_number(value, sign)} [{_number(low, sign)}, {_number(high, sign)}]"


def _log(registry: Registry, model: Any, out: Path) -> None:
    """Attach the report to the model's run when the model is registered."""
    try:
        version = registry.version_of(str(model.info.version))
    except Exception:
        return
    registry.client.log_artifact(version.run_id, str(out), "reports")
