"""``risk load``: a county's ledger into the service's database, scored, in one transaction."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from risk.cli import SheetOpt, ShowOpt, _fail, _report, _sheet, _store, app, err, out
from risk.errors import ConfigError, RiskError

if TYPE_CHECKING:
    from service.db import Database
    from service.load import LoadReport
    from service.settings import Settings


@app.command()
def load(
    key: Annotated[
        str,
        typer.Option(
            "--key",
            envvar="RISK_API_KEY",
            help="An admin API key that sees every grid (`risk serve` prints the first "
            "one); the load is recorded in the audit log under it.",
        ),
    ],
    households: Annotated[
        Path | None,
        typer.Option(
            "--households",
            exists=True,
            dir_okay=False,
            help="Survey ledger (入户调查): CSV, XLSX or Parquet (`risk ingest` or "
            "`risk generate` output).",
        ),
    ] = None,
    cases: Annotated[
        Path | None,
        typer.Option(
            "--cases",
            exists=True,
            dir_okay=False,
            help="Case ledger (矛盾纠纷台账), with outcomes: CSV, XLSX or Parquet.",
        ),
    ] = None,
    households_mapping: Annotated[
        Path | None,
        typer.Option(
            "--households-mapping",
            exists=True,
            dir_okay=False,
            help="YAML mapping the survey ledger's own headers (and values) to the contract's.",
        ),
    ] = None,
    cases_mapping: Annotated[
        Path | None,
        typer.Option(
            "--cases-mapping",
            exists=True,
            dir_okay=False,
            help="YAML mapping the case ledger's own headers (and values) to the contract's.",
        ),
    ] = None,
    sheet: SheetOpt = None,
    as_of: Annotated[
        dt.datetime | None,
        typer.Option(
            "--as-of",
            formats=["%Y-%m-%d"],
            help="Score every household as of this date (default today).",
        ),
    ] = None,
    allow_partial: Annotated[
        bool, typer.Option("--allow-partial", help="Exit 0 even when some rows were quarantined.")
    ] = False,
    show: ShowOpt = 20,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs",
            "-j",
            min=1,
            help="Worker processes making the rows and the scores (default: one per core but "
            "one, which the database's COPY uses).",
        ),
    ] = None,
) -> int:
    """Load a ledger into the service's database ($RISK_DATABASE_URL) and score every
    household in it with the served model ($RISK_MODEL_URI), in one transaction.

    Rows are checked as by `risk ingest`; bad rows are left out and written, with
    reasons, beside their file (FILE.quarantine.csv). Loading the same ledger again
    changes nothing; a row that differs from the stored one replaces it. Exit 0 when
    loaded; 1 when rows were quarantined (without --allow-partial; the good rows are
    loaded); 2 when the input, the key or the model is unusable; 3 when the database
    cannot be reached.
    """
    from risk.cells import write_csv
    from risk.cli_serve import _database
    from service.settings import Settings

    if households is None and cases is None:
        raise _fail(ConfigError("give --households, --cases or both"))
    settings = Settings()
    db = _database()
    try:
        report = _run(db, settings, key, households, cases, households_mapping, cases_mapping,
                      sheet, as_of, quiet, jobs)  # fmt: skip
    finally:
        db.engine.dispose()  # (its connections closed, not left to the interpreter's exit)
    quarantined = 0
    for ledger, result in ((households, report.households), (cases, report.cases)):
        if ledger is None or result is None:
            continue
        out.print(f"{ledger.name}:", highlight=False)
        _report(result, show, None)
        if result.rows_quarantined:
            write_csv(result.quarantine, ledger.with_suffix(".quarantine.csv"))
            out.print(f"→ {ledger.with_suffix('.quarantine.csv')}", highlight=False)
            quarantined += result.rows_quarantined
    out.print(report.summary("zh"), highlight=False)
    out.print(report.summary("en"), highlight=False)
    if quarantined and not allow_partial:
        raise typer.Exit(1)
    return 0


def _run(
    db: Database,
    settings: Settings,
    key: str,
    households: Path | None,
    cases: Path | None,
    households_mapping: Path | None,
    cases_mapping: Path | None,
    sheet: str | None,
    as_of: dt.datetime | None,
    quiet: bool,
    jobs: int | None,
) -> LoadReport:
    """Authenticate, load the model, load the ledger; exit 2 (audited) when refused."""
    from risk.i18n import both
    from risk.progress import RowsBar
    from risk.registry import Registry
    from service.audit import audit
    from service.auth import authenticate
    from service.errors import ServiceError
    from service.load import LedgerFile, load_ledger

    who = authenticate(db, key)
    if who is None:
        audit(db, None, "bad_key", "cli:load", 401)
        zh, en = both("load_bad_key")
        err.print(f"[red]error:[/red] {zh} / {en}", highlight=False)
        raise typer.Exit(2)
    try:
        model = Registry(_store(settings.mlflow_uri, "RISK_MLFLOW_URI")).load(settings.model_uri)
        files = {
            "households": None
            if households is None
            else LedgerFile(households, households_mapping, _sheet(sheet)),
            "cases": None if cases is None else LedgerFile(cases, cases_mapping, _sheet(sheet)),
        }
        with RowsBar(not quiet) as bar:
            report = load_ledger(
                db,
                model,
                who,
                files["households"],
                files["cases"],
                as_of=None if as_of is None else as_of.date(),
                progress=bar,
                jobs=jobs,
            )
    except RiskError as exc:
        raise _fail(exc) from exc
    except ServiceError as exc:
        audit(db, who, "refused", "cli:load", exc.status)
        zh, en = both(exc.key, **exc.values)
        err.print(f"[red]error:[/red] {zh} / {en}", highlight=False)
        raise typer.Exit(2) from exc
    return report
