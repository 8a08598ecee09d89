"""``risk train``, ``risk evaluate`` and ``risk promote``: the model's life in the registry."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from risk.cli import UriOpt, _fail, _store, app, err, out
from risk.errors import RiskError

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


def _tables(metrics: dict[str, float], prefix: str, names: tuple[str, ...]) -> list[Table]:
    """One table per decision, then the pooled figures as an extra line."""
    from risk.evaluate import metric_cells
    from risk.i18n import both
    from risk.models.decision import DECISIONS

    tables = []
    for decision in DECISIONS:
        zh, en = both(f"decision_{decision}")
        table = Table("metric", *names, title=f"{zh} / {en}")
        for key in SHOWN:
            table.add_row(key, *metric_cells(metrics, f"{prefix}_{decision}", names, key))
        tables.append(table)
    pooled = Table("metric", *names, title="pooled (both decisions; not a decision's figure)")
    for key in ("auroc_red", "tier_mix_red"):
        pooled.add_row(key, *metric_cells(metrics, prefix, names, key))
    tables.append(pooled)
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
    for table in _tables(outcome.metrics, "test", ("model", "checklist", "logistic")):
        out.print(table)
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
    for table in _tables(result.metrics, "eval", ("model",)):
        out.print(table)
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
) -> None:
    """Per-field distribution shift (PSI, missing rate, new values) and label-rate shift
    between two ledgers, with a verdict per field; exit 1 on a major shift."""
    import tempfile

    from risk.cells import write_csv
    from risk.dataset import load_ledger
    from risk.drift import ledger_drift
    from risk.errors import ContractError
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
    table = Table("kind", "field", "PSI", "missing ref→cur", "new values", "verdict")
    shown = report.fields.sort_values("psi", ascending=False)
    for r in shown.itertuples():
        table.add_row(
            str(r.kind),
            str(r.field),
            f"{r.psi:.3f}",
            f"{r.missing_reference:.1%} → {r.missing_current:.1%}",
            str(r.new_values),
            str(r.verdict),
        )
    out.print(table)
    for r in report.labels.itertuples():
        out.print(f"label {r.tier}: {r.reference:.2%} → {r.current:.2%}")
    out.print(f"verdict: {report.worst}")
    if out_path is not None:
        write_csv(report.fields, out_path, encoding="utf-8")
    if report.worst == "major":
        raise typer.Exit(1)


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
