"""The ``risk`` command: a thin layer over the library.

Exit codes: 0 success; 1 rows were quarantined (without ``--allow-partial``);
2 the input or the command line is unusable (the message says why).

Every table goes through :func:`print_rows`: for people, long cells wrap and are never
cut, whatever the terminal's width; commands with ``--format json|csv`` print the same
rows for scripts.
"""

from __future__ import annotations

import atexit
import csv
import datetime as dt
import gc
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from risk.errors import RiskError

app = typer.Typer(
    name="risk",
    help="Risk triage for family and neighbour disputes / 家庭邻里纠纷风险分级",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)

# At exit the interpreter makes one last pass of the cyclic garbage collector over every
# object still alive: after scoring, the libraries' and the model's millions of objects,
# seconds of work whose only result is memory the process hands back anyway. Frozen, they
# are left out of it. (Files and databases are closed by the commands themselves.)
atexit.register(gc.freeze)


class RecordKindName(StrEnum):
    cases = "cases"
    households = "households"


KindOpt = Annotated[
    RecordKindName,
    typer.Option(
        "--kind", "-k", help="Record kind: cases (矛盾纠纷台账) or households (入户调查)."
    ),
]
MappingOpt = Annotated[
    Path | None,
    typer.Option(
        "--mapping",
        "-m",
        exists=True,
        dir_okay=False,
        help="YAML mapping a county's own headers (and values) to the contract's.",
    ),
]
SheetOpt = Annotated[
    str | None,
    typer.Option("--sheet", help="Excel sheet name or 0-based index (default: the first)."),
]
UriOpt = Annotated[
    str | None,
    typer.Option(
        "--tracking-uri",
        help="MLflow tracking and registry store (default: $RISK_MLFLOW_URI, else "
        "$MLFLOW_TRACKING_URI, else SQLite in mlruns/ under $RISK_HOME).",
    ),
]
ShowOpt = Annotated[int, typer.Option("--show", help="How many row errors to print.")]


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


FormatOpt = Annotated[
    OutputFormat,
    typer.Option(
        "--format",
        help="table: for people (long cells wrap, never cut); json or csv: for scripts.",
    ),
]


@dataclass(frozen=True)
class Col:
    """A column: its name for scripts, its header for people (default the name), how
    people see a value (default ``str``), and whether the table shows it at all."""

    name: str
    header: str = ""
    show: Callable[[Any], str] = str
    shown: bool = True


@dataclass
class Rows:
    """A table a command prints; ``name`` keys it in JSON when a command prints several."""

    columns: Sequence[Col]
    rows: Sequence[Sequence[Any]] = field(default_factory=list)
    title: str | None = None
    name: str = "rows"


def print_rows(
    *tables: Rows, fmt: OutputFormat = OutputFormat.table, console: Console | None = None
) -> None:
    """Print ``tables``: as rich tables that wrap, as JSON (a list of objects, or one list
    per table's name), or as CSV (with a first ``table`` column when there are several)."""
    console = console or out
    if fmt is OutputFormat.table:
        for t in tables:
            table = Table(title=t.title)
            for c in t.columns:
                if c.shown:
                    table.add_column(c.header or c.name, overflow="fold")
            for row in t.rows:
                pairs = zip(t.columns, row, strict=True)
                table.add_row(*(c.show(v) for c, v in pairs if c.shown))
            console.print(table)
        return
    records = {t.name: [_record(t.columns, row) for row in t.rows] for t in tables}
    if fmt is OutputFormat.json:
        doc: Any = records if len(tables) > 1 else records[tables[0].name]
        console.file.write(json.dumps(doc, ensure_ascii=False, default=str) + "\n")
        return
    names = [c.name for c in tables[0].columns]
    if any([c.name for c in t.columns] != names for t in tables):
        raise ValueError("--format csv: one table, or tables with the same columns")
    several = len(tables) > 1
    writer = csv.writer(console.file, lineterminator="\n")
    writer.writerow(["table", *names] if several else names)
    for name, rows in records.items():
        for record in rows:
            writer.writerow([name, *record.values()] if several else record.values())


def _record(columns: Sequence[Col], row: Sequence[Any]) -> dict[str, Any]:
    return {c.name: v for c, v in zip(columns, row, strict=True)}


ErrorsOpt = Annotated[
    Path | None,
    typer.Option(
        "--errors",
        dir_okay=False,
        help="Write every row error (row, field, value, reason zh/en) to this CSV.",
    ),
]


#: click's UsageError as typer raises it (typer 0.2x carries its own copy of click).
_UsageError: type[Any] = typer.BadParameter.__bases__[0]


def main(argv: list[str] | None = None) -> int:
    """Run the CLI with ``argv``; return the exit code instead of exiting (for tests). A
    command line the CLI refuses (an unknown option, a value not among the choices) is
    said on stderr, exit 2, as when run from a shell."""
    try:
        code = app(args=argv, standalone_mode=False)
    except _UsageError as exc:
        exc.show()
        return int(exc.exit_code)
    return code if isinstance(code, int) else 0


def _sheet(sheet: str | None) -> str | int | None:
    return int(sheet) if sheet is not None and sheet.isdigit() else sheet


def _fail(exc: RiskError) -> typer.Exit:
    err.print(f"[red]error:[/red] {exc}", highlight=False)
    return typer.Exit(2)


def _store(uri: str | None, given_as: str = "--tracking-uri") -> str:
    """The MLflow store's URI for ``--tracking-uri`` (or the environment's, or the
    default), said on stderr; exit 2 when its folder cannot be made."""
    from risk.store import resolve

    try:
        store = resolve(uri, given_as)
    except RiskError as exc:
        raise _fail(exc) from exc
    err.print(store.describe(), highlight=False, soft_wrap=True)
    return store.uri


def error_rows(errors: Any) -> Rows:
    """Row errors (row, field, value, reason zh, reason en) as a table."""
    columns = [
        Col("row", "行 row"),
        Col("field", "字段 field"),
        Col("value", "值 value"),
        Col("reason_zh", "原因"),
        Col("reason_en", "reason"),
    ]
    shown = errors[[c.name for c in columns]]
    return Rows(columns, [list(row) for row in shown.itertuples(index=False)])


def _report(result: object, show: int, errors_path: Path | None) -> None:
    from risk.cells import write_csv
    from risk.ingest import IngestResult

    assert isinstance(result, IngestResult)
    out.print(result.summary("zh"), highlight=False)
    out.print(result.summary("en"), highlight=False)
    if len(result.errors) and show > 0:
        print_rows(error_rows(result.errors.head(show)))
        if len(result.errors) > show:
            out.print(f"… {len(result.errors) - show} more / 另有 {len(result.errors) - show} 条")
    if errors_path is not None:
        write_csv(result.errors, errors_path)


@app.command()
def validate(
    path: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="CSV, XLSX or Parquet ledger.")
    ],
    kind: KindOpt,
    mapping: MappingOpt = None,
    sheet: SheetOpt = None,
    show: ShowOpt = 20,
    errors: ErrorsOpt = None,
) -> int:
    """Check a ledger against the data contract and report every bad row; writes nothing else."""
    from risk.ingest import read_ledger

    try:
        result = read_ledger(path, kind.value, mapping, _sheet(sheet))
    except RiskError as exc:
        raise _fail(exc) from exc
    _report(result, show, errors)
    if result.rows_quarantined:
        raise typer.Exit(1)
    return 0


@app.command()
def ingest(
    path: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="CSV, XLSX or Parquet ledger.")
    ],
    kind: KindOpt,
    out_path: Annotated[
        Path, typer.Option("--out", "-o", dir_okay=False, help="Parquet file for the good rows.")
    ],
    mapping: MappingOpt = None,
    sheet: SheetOpt = None,
    quarantine: Annotated[
        Path | None,
        typer.Option(
            "--quarantine",
            dir_okay=False,
            help="Where bad rows go, with reasons (.csv or .parquet; default OUT.quarantine.csv).",
        ),
    ] = None,
    allow_partial: Annotated[
        bool, typer.Option("--allow-partial", help="Exit 0 even when some rows were quarantined.")
    ] = False,
    show: ShowOpt = 20,
    errors: ErrorsOpt = None,
) -> int:
    """Validate a ledger; write good rows to Parquet and bad rows, with reasons, to quarantine."""
    from risk.ingest import ingest_file

    try:
        result = ingest_file(path, kind.value, out_path, quarantine, mapping, _sheet(sheet))
    except RiskError as exc:
        raise _fail(exc) from exc
    _report(result, show, errors)
    out.print(f"→ {out_path}", highlight=False)
    if result.rows_quarantined:
        out.print(f"→ {quarantine or out_path.with_suffix('.quarantine.csv')}", highlight=False)
        if not allow_partial:
            raise typer.Exit(1)
    return 0


@app.command()
def generate(
    households: Annotated[
        int, typer.Option("--households", "-n", min=1, help="Number of households.")
    ],
    out_dir: Annotated[
        Path, typer.Option("--out", "-o", file_okay=False, help="Directory to write into.")
    ],
    years: Annotated[
        int, typer.Option("--years", "-y", min=1, max=20, help="Years of ledger.")
    ] = 3,
    seed: Annotated[
        int, typer.Option("--seed", "-s", help="Random seed: same seed, same files.")
    ] = 0,
    start: Annotated[
        dt.datetime, typer.Option("--start", formats=["%Y-%m-%d"], help="First day of the ledger.")
    ] = dt.datetime(2022, 1, 1),
    messy: Annotated[
        bool,
        typer.Option(
            "--messy",
            help=(
                "Also write households.csv and cases.csv the way counties send them: "
                "Chinese headers, Chinese value aliases, mixed date and yes/no spellings, "
                "GB18030 and UTF-8 with BOM."
            ),
        ),
    ] = False,
    shift: Annotated[
        str | None,
        typer.Option(
            "--shift",
            help="A shifted population (docs/synthetic-data.md): 'rural', a more rural county "
            "with more drinking, blank police notes and more risk than its records show; its "
            "ids start with R.",
        ),
    ] = None,
) -> int:
    """Generate a synthetic population: households.parquet, cases.parquet and truth.parquet."""
    from risk.synth import generate_to_dir
    from risk.synth.shift import SHIFTS

    if shift is not None and shift not in SHIFTS:
        err.print(f"[red]error:[/red] --shift: expected one of {', '.join(SHIFTS)}, got {shift!r}")
        raise typer.Exit(2)

    counts = generate_to_dir(
        out_dir,
        households=households,
        years=years,
        seed=seed,
        messy=messy,
        start=start.date(),
        progress=True,
        shift=shift,
    )
    for name, rows in counts.items():
        out.print(f"{name}: {rows:,} rows → {out_dir / name}", highlight=False)
    return 0


@app.command()
def contract(
    out_path: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", dir_okay=False, help="Write the Markdown here instead of printing it."
        ),
    ] = None,
) -> int:
    """Print the data contract (fields, types, values, Chinese headers) as Markdown."""
    from risk.atomic import atomic_write
    from risk.contract_doc import contract_markdown

    text = contract_markdown()
    if out_path is None:
        out.print(text, markup=False, highlight=False)
    else:
        with atomic_write(out_path) as tmp:
            tmp.write_text(text, encoding="utf-8")
    return 0


# The model and service commands live in their own modules and register themselves on ``app``.
from risk import (  # noqa: E402,F401
    cli_load,
    cli_model,
    cli_monitor,
    cli_score,
    cli_serve,
)
