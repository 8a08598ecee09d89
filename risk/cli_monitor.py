"""``risk monitor``: the model in service against what happened, and the ledger to retrain on.

Reads what the service recorded (its database, ``RISK_DATABASE_URL``), or an export of it
(a folder with households.parquet, cases.parquet and scores.parquet). Prints the alerts and
the drift from the champion's training ledger in Chinese and English, writes the HTML
report with ``--out``, and with ``--export DIR`` writes the service's ledger with outcomes
(and its scores) for ``risk train --data DIR --base champion``. Exit 1 when a figure is
outside its band.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from risk.cli import UriOpt, _fail, _store, app, err, out
from risk.errors import ContractError, RiskError

if TYPE_CHECKING:
    import pandas as pd

    from risk.dataset import Ledger
    from risk.monitor import MonitorReport


@app.command()
def monitor(
    data: Annotated[
        Path | None,
        typer.Option(
            "--data",
            exists=True,
            file_okay=False,
            help="An export (households, cases, scores .parquet), not the service's database.",
        ),
    ] = None,
    out_path: Annotated[
        Path | None, typer.Option("--out", dir_okay=False, help="Write the HTML report here.")
    ] = None,
    export: Annotated[
        Path | None,
        typer.Option(
            "--export",
            file_okay=False,
            help="Write the service's ledger with outcomes (and its scores) here, for "
            "risk train --data DIR --base champion.",
        ),
    ] = None,
    first: Annotated[
        dt.datetime | None,
        typer.Option(
            "--since", formats=["%Y-%m-%d"], help="Only units and records dated from this day."
        ),
    ] = None,
    version: Annotated[
        str | None, typer.Option("--model-version", help="Only units this model version scored.")
    ] = None,
    tracking_uri: UriOpt = None,
) -> None:
    """Outcomes against predictions per decision, month and tier, drift from the champion's
    training ledger, label-free estimates and alerts; exit 1 when a figure leaves its band."""
    from risk.monitor import champion_reference, watch

    try:
        # (an export holds the whole ledger: the next training needs all of it)
        day = None if first is None or export is not None else first.date()
        scores, ledger = _recorded(data, day)
        if export is not None:
            _export(scores, ledger, export)
        if version is not None:
            scores = scores[scores["model_version"].astype(str) == version]
        reference = champion_reference(_store(tracking_uri))
        report = watch(scores, ledger, reference, first=None if first is None else first.date())
        if out_path is not None:
            from risk.monitor_report import write_monitor_report

            write_monitor_report(report, out_path)
    except RiskError as exc:
        raise _fail(exc) from exc
    _print(report)
    if out_path is not None:
        out.print(f"→ {out_path}", highlight=False)
    if export is not None:
        out.print(f"ledger → {export}; retrain: risk train --data {export} --base champion")
    if not report.alerts.empty:
        raise typer.Exit(1)


def _recorded(data: Path | None, first: dt.date | None) -> tuple[pd.DataFrame, Ledger]:
    """Scores and ledger from an export folder, or from the service's database (there
    only those dated from ``first``, when given)."""
    import pandas as pd

    from risk.dataset import load_ledger

    if data is not None:
        path = data / "scores.parquet"
        if not path.exists():
            raise ContractError(f"{data}: no scores.parquet (write it with risk monitor --export)")
        return pd.read_parquet(path), load_ledger(data)
    from risk.cli_serve import _database
    from service.auth import Caller
    from service.monitoring import recorded

    # the command line stands for the operator, who sees every grid (like risk keys)
    return recorded(_database(), Caller(key_id=0, role="admin", grids=None), first)


def _export(scores: pd.DataFrame, ledger: Ledger, folder: Path) -> None:
    from risk.atomic import atomic_write

    ledger.write(folder)
    with atomic_write(folder / "scores.parquet") as tmp:
        scores.to_parquet(tmp, index=False)


def _print(report: MonitorReport) -> None:
    from risk.i18n import LANGS, both, text
    from risk.monitor import ALL
    from risk.monitor import SUMMARY as SHOWN

    figures = report.figures
    for lang in LANGS:
        for line in report.alert_lines(lang):
            out.print(line, highlight=False)
    if figures.empty:
        out.print(" / ".join(both("monitor_no_scores")))
        return
    rows = figures[figures["tier"] == ALL]
    for decision, part in rows.groupby("decision", sort=False):
        zh, en = both(f"decision_{decision}")
        table = Table(
            "月份 month",
            *(f"{text(f'monitor_figure_{k}')}\n{k}" for k in SHOWN),
            title=f"{zh} / {en}",
        )
        for r in part.to_dict("records"):
            table.add_row(str(r["month"]), *(_cell(r.get(k)) for k in SHOWN))
        out.print(table)
    for r in report.prediction_shift.to_dict("records"):
        out.print(
            f"{both('decision_' + r['decision'])[0]} / {r['decision']}: PSI P(red) "
            f"{r['psi_p_red']:.3f}, PSI P(yellow or red) {r['psi_p_yellow_or_red']:.3f}",
            highlight=False,
        )
    if report.drift is not None:
        for lang in LANGS:
            lines = report.drift.findings(lang) or [text("drift_none", lang)]
            for line in lines:
                out.print(line, highlight=False)
    else:
        err.print("no champion with a logged ledger: drift and prediction shift not measured")


def _cell(value: object) -> str:
    if value is None or value != value:
        return "—"
    return f"{value:,.0f}" if isinstance(value, float) and value >= 10 else f"{value:.4f}"
