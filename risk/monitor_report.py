"""The monitor as one self-contained HTML page (plots embedded as PNG), like the model card.

Per decision: observed red rate by month with its 95% interval beside the predicted rate,
the table of figures per month and tier, the alerts; the shift of predicted probabilities
and every drift finding from the champion's training ledger; the subgroup audit with
intervals ("insufficient evidence" where a subgroup is too small). Labels in zh and en.
"""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape

from risk.atomic import atomic_write
from risk.i18n import both, text
from risk.models.decision import DECISIONS
from risk.monitor import ALL, GAUGED, MonitorReport

__all__ = ["render_monitor", "write_monitor_report"]

#: The figures of the per-month table, in order: every gauged figure.
TABLE = GAUGED


def _calibration_by_month(rows: pd.DataFrame) -> str:
    """Observed (with interval) and predicted red rate per month, as a PNG data URI."""
    fig, ax = plt.subplots(figsize=(8, 3.2))
    x = range(len(rows))
    observed = rows["observed_red"].to_numpy(float)
    low = np.nan_to_num(observed - rows["observed_red_low"].to_numpy(float)).clip(0)
    high = np.nan_to_num(rows["observed_red_high"].to_numpy(float) - observed).clip(0)
    ax.errorbar(x, observed, yerr=[low, high], fmt="o", color="#c62828", label="observed red")
    ax.plot(x, rows["predicted_red"], "s--", color="#555", label="predicted red")
    ax.plot(x, rows["estimated_red"], ":", color="#999", label="predicted, all scored")
    ax.set_xticks(list(x), rows["month"].tolist(), rotation=60, fontsize=7)
    ax.set_ylabel("red rate")
    ax.legend(fontsize=7)
    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png", dpi=100)
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def render_monitor(report: MonitorReport) -> str:
    """The report's HTML."""
    figures = report.figures
    decisions: list[dict[str, Any]] = []
    for decision in DECISIONS:
        mine = figures[figures["decision"] == decision] if len(figures) else figures
        if mine.empty:
            continue
        months = mine[(mine["tier"] == ALL) & (mine["month"] != ALL)]
        decisions.append(
            {
                "name": decision,
                "label": both(f"decision_{decision}"),
                "plot": _calibration_by_month(months) if len(months) else None,
                "rows": mine[["month", "tier", *TABLE]].round(4).to_dict("records"),
            }
        )
    drift = report.drift
    context = {
        "title": both("monitor_title"),
        "generated": report.generated,
        "alerts": list(zip(report.alert_lines("zh"), report.alert_lines("en"), strict=True)),
        "has_alerts": not report.alerts.empty,
        "decisions": decisions,
        "columns": [(k, both(f"monitor_figure_{k}")) for k in TABLE],
        "shift": report.prediction_shift.round(4).to_dict("records"),
        "drift": None
        if drift is None
        else list(zip(drift.findings("zh"), drift.findings("en"), strict=True)),
        "labels": None if drift is None else drift.labels_by_decision.round(4).to_dict("records"),
        "fairness": [] if report.fairness.empty else report.fairness.round(4).to_dict("records"),
        "insufficient": both("monitor_insufficient"),
        "no_drift": both("drift_none"),
        "text": text,
    }
    env = Environment(loader=PackageLoader("risk", "templates"), autoescape=select_autoescape())
    return env.get_template("monitor.html.j2").render(**context)


def write_monitor_report(report: MonitorReport, out: Path) -> Path:
    """Write the HTML report atomically."""
    html = render_monitor(report)
    with atomic_write(Path(out)) as tmp:
        tmp.write_text(html, encoding="utf-8")
    return Path(out)
