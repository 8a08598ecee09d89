"""``risk train``, ``risk evaluate`` and ``risk promote``: the model's life in the registry."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from risk.cli import (
    Col,
    FormatOpt,
    OutputFormat,
    Rows,
    UriOpt,
    _fail,
    _store,
    app,
    err,
    out,
    print_rows,
)
from risk.errors import RiskError

if TYPE_CHECKING:
    import pandas as pd

DataOpt = Annotated[
    Path,
    typer.Option(
        "--data",
        "-d",
        exists=True,
        file_okay=False,
        help="Directory with households.parquet and cases.parquet (contract shape).",
    ),
]
ExtractOpt = Annotated[
    str | None,
    typer.Option(
        "--extract-date",
        help="The last day the ledger records new cases, if its provider states one "
        "(default: the latest opened_at). Units whose 90-day window runs past it are unlabelled.",
    ),
]

#: The figures printed after training and evaluation, per decision, model beside the
#: baselines.
SHOWN = (
    "n_units",
    "label_rate_red",
    "auroc_red",
    "auroc_yellow_or_red",
    "ece_red",
    "ece_yellow_or_red",
    "observed_expected_red",
    "tier_red_recall",
    "tier_red_precision",
    "tier_mix_red",
    "tier_mix_green",
    "tier_green_red_rate",
    "review_share",
    "set_coverage_red",
)
#: The pooled figures printed as an extra table (not a decision's figures).
POOLED = ("auroc_red", "tier_mix_red")


def _tables(metrics: dict[str, float], prefix: str, names: tuple[str, ...]) -> list[Rows]:
    """One table per decision, then the pooled figures as an extra line."""
    from risk.evaluate import metric_cell, metric_values
    from risk.i18n import both
    from risk.models.decision import DECISIONS

    columns = [Col("metric"), *(Col(name, show=metric_cell) for name in names)]
    tables = []
    for decision in DECISIONS:
        zh, en = both(f"decision_{decision}")
        rows = [[key, *metric_values(metrics, f"{prefix}_{decision}", names, key)] for key in SHOWN]
        tables.append(Rows(columns, rows, title=f"{zh} / {en}", name=decision))
    pooled = [[key, *metric_values(metrics, prefix, names, key)] for key in POOLED]
    title = "pooled (both decisions; not a decision's figure)"
    tables.append(Rows(columns, pooled, title=title, name="pooled"))
    return tables


@app.command()
def train(
    data: DataOpt,
    experiment: Annotated[
        str, typer.Option("--experiment", "-e", help="MLflow experiment name.")
    ] = "risk-triage",
    policy: Annotated[
        Path | None,
        typer.Option("--policy", exists=True, dir_okay=False, help="Tier policy YAML."),
    ] = None,
    params: Annotated[
        str | None,
        typer.Option(
            "--params", help="Classifier parameters as JSON, e.g. '{\"interactions\": 5}'."
        ),
    ] = None,
    base: Annotated[
        str | None,
        typer.Option("--base", help="'champion': add the champion's training ledger to DIR's."),
    ] = None,
    extract_date: ExtractOpt = None,
    tracking_uri: UriOpt = None,
) -> None:
    """Train on the earlier ledger, calibrate on the next period, test on the latest; log
    the run to MLflow and register the model as risk-triage (promote it separately)."""
    from risk.train import train as run_training

    try:
        outcome = run_training(
            data,
            experiment=experiment,
            policy_path=policy,
            params=json.loads(params) if params else None,
            uri=_store(tracking_uri),
            progress=True,
            base=base,
            extract_date=extract_date,
        )
    except RiskError as exc:
        raise _fail(exc) from exc
    except json.JSONDecodeError as exc:
        err.print(f"[red]error:[/red] --params: not JSON: {exc}")
        raise typer.Exit(2) from exc
    print_rows(*_tables(outcome.metrics, "test", ("model", "checklist", "logistic")))
    from risk.train import notes_text

    for decision, choice in outcome.fit.choices.items():
        t = choice.thresholds
        missed = ", ".join(choice.missed) or "none"
        out.print(
            f"{decision}: red ≥ P(red) {t.red:.4f}, yellow ≥ P(yellow or red) {t.yellow:.4f} "
            f"(calibration: {choice.red_share:.1%} red, {1 - choice.yellow_or_red_share:.1%} "
            f"green; targets missed: {missed})"
        )
    notes = notes_text(outcome.fit)
    if notes:
        out.print(notes, highlight=False, end="")
    out.print(f"run {outcome.run_id}; registered risk-triage version {outcome.version}")
    out.print(f"promote it with: risk promote {outcome.version}")


@app.command()
def evaluate(
    model: Annotated[
        str, typer.Option("--model", help="Model URI, e.g. models:/risk-triage@champion.")
    ],
    data: DataOpt,
    period: Annotated[
        str, typer.Option("--period", help="all labelled units, or the test period only.")
    ] = "all",
    extract_date: ExtractOpt = None,
    tracking_uri: UriOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Measure a registered model on a ledger's labelled units."""
    from risk.dataset import load_ledger, time_split
    from risk.evaluate import evaluate as run_evaluation
    from risk.registry import Registry

    try:
        triage = Registry(_store(tracking_uri)).load(model)
        units = load_ledger(data, extract_date).units()
        if period == "test":
            units = time_split(units)["test"].units
        elif period != "all":
            raise typer.BadParameter("expected all or test", param_hint="--period")
        units = units[units["label"].notna()]
        result = run_evaluation(triage, units, units["label"], prefix="eval")
    except RiskError as exc:
        raise _fail(exc) from exc
    print_rows(*_tables(result.metrics, "eval", ("model",)), fmt=fmt)
    if fmt is OutputFormat.table:
        out.print(f"{len(units):,} labelled units")


@app.command()
def promote(
    version: Annotated[str, typer.Argument(help="Registered version number of risk-triage.")],
    force: Annotated[
        bool, typer.Option("--force", help="Promote even if the gate refuses (needs --reason).")
    ] = False,
    reason: Annotated[
        str | None, typer.Option("--reason", help="Why; recorded with the promotion.")
    ] = None,
    tracking_uri: UriOpt = None,
) -> None:
    """Move @champion to VERSION if it is no worse than the champion on the gate metrics."""
    from risk.registry import Registry

    try:
        result = Registry(_store(tracking_uri)).promote(version, force=force, reason=reason)
    except RiskError as exc:
        raise _fail(exc) from exc
    if result.checks:
        out.print(result.summary(), highlight=False)
    if not result.passed and not force:
        err.print(f"[red]refused:[/red] version {version} is worse than the champion")
        raise typer.Exit(1)
    note = " (forced)" if force and not result.passed else ""
    out.print(f"risk-triage@champion → version {version}{note}")


@app.command()
def drift(
    reference: Annotated[
        str,
        typer.Option(
            "--reference",
            help="Reference ledger dir, or 'champion' for the ledger the champion was trained on.",
        ),
    ],
    current: Annotated[
        Path, typer.Option("--current", exists=True, file_okay=False, help="New ledger dir.")
    ],
    out_path: Annotated[
        Path | None, typer.Option("--out", dir_okay=False, help="Write the field table as CSV.")
    ] = None,
    tracking_uri: UriOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Per-field distribution shift (PSI, missing rate, new values) and label-rate shift
    between two ledgers, with a verdict per field, in Chinese and English; exit 1 on a
    major shift. ``--format csv`` prints the field table (as ``--out`` writes it)."""
    import tempfile

    from risk.cells import write_csv
    from risk.dataset import load_ledger
    from risk.drift import ledger_drift
    from risk.errors import ContractError
    from risk.i18n import both
    from risk.registry import Registry

    try:
        with tempfile.TemporaryDirectory() as tmp:
            if reference == "champion":
                registry = Registry(_store(tracking_uri))
                champion = registry.champion()
                ref = None if champion is None else registry.ledger_of(champion, Path(tmp))
                if ref is None:
                    raise ContractError("--reference champion: no champion with a logged ledger")
            else:
                ref = load_ledger(Path(reference))
            report = ledger_drift(ref, load_ledger(current))
    except RiskError as exc:
        raise _fail(exc) from exc
    frame = report.labelled().sort_values("psi", ascending=False)
    fields, labels = _drift_rows(frame, report.labels)
    print_rows(fields, *([] if fmt is OutputFormat.csv else [labels]), fmt=fmt)
    if fmt is OutputFormat.table:
        zh, en = both(f"drift_{report.worst}")
        out.print(f"结论：{zh} / verdict: {en}")
    if out_path is not None:
        write_csv(frame, out_path, encoding="utf-8")
    if report.worst == "major":
        raise typer.Exit(1)


def _drift_rows(frame: pd.DataFrame, label_rates: pd.DataFrame) -> tuple[Rows, Rows]:
    """A drift report's field table (:meth:`~risk.drift.DriftReport.labelled`) and its
    label-rate table as rows: scripts get every column, people see each kind, field and
    verdict in Chinese and English, from the same columns."""
    from risk.i18n import both
    from risk.schema import TIERS

    def header(key: str) -> str:
        return "\n".join(both(key))

    def labels(code: str) -> dict[str, str]:
        pairs = zip(frame[code], frame[f"{code}_zh"], frame[f"{code}_en"], strict=True)
        return {c: f"{zh} {en}" if zh != en else zh for c, zh, en in pairs}

    def share(value: float) -> str:
        return f"{value:.1%}"

    kinds, names, verdicts = labels("kind"), labels("field"), labels("verdict")
    columns = [
        Col("kind", header("drift_kind"), show=kinds.__getitem__),
        Col("kind_zh", shown=False),
        Col("kind_en", shown=False),
        Col("field", header("drift_field"), show=names.__getitem__),
        Col("field_zh", shown=False),
        Col("field_en", shown=False),
        Col("psi", "PSI", show=lambda v: f"{v:.3f}"),
        Col("missing_reference", header("drift_missing_reference"), show=share),
        Col("missing_current", header("drift_missing_current"), show=share),
        Col("new_values", header("drift_new_values")),
        Col("verdict", header("drift_verdict"), show=verdicts.__getitem__),
        Col("verdict_zh", shown=False),
        Col("verdict_en", shown=False),
    ]
    fields = Rows(
        columns,
        frame[[c.name for c in columns]].values.tolist(),
        name="fields",
    )
    tiers = {t.code: f"{t.zh} {t.en}" for t in TIERS}
    label_columns = [
        Col("tier", header("drift_label"), show=tiers.__getitem__),
        Col("reference", header("drift_reference"), show=lambda v: f"{v:.2%}"),
        Col("current", header("drift_current"), show=lambda v: f"{v:.2%}"),
    ]
    label_rows = label_rates[[c.name for c in label_columns]].values.tolist()
    return fields, Rows(label_columns, label_rows, name="labels")


@app.command()
def report(
    model: Annotated[str, typer.Option("--model", help="Model URI or version.")],
    data: DataOpt,
    out_path: Annotated[
        Path, typer.Option("--out", dir_okay=False, help="The HTML file to write.")
    ] = Path("report.html"),
    extract_date: ExtractOpt = None,
    tracking_uri: UriOpt = None,
) -> None:
    """Write a self-contained HTML model card (metrics beside baselines and the champion,
    calibration, tier mix, subgroups, drift, policy, limitations) and log it to the run."""
    from risk.report import write_report

    try:
        path = write_report(model, data, out_path, _store(tracking_uri), extract_date=extract_date)
    except RiskError as exc:
        raise _fail(exc) from exc
    out.print(f"model card → {path}")
