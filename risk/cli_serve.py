"""``risk serve`` and ``risk keys``: run the service, manage its API keys."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from risk.cli import Col, FormatOpt, OutputFormat, Rows, _store, app, err, out, print_rows
from service.roles import Role

if TYPE_CHECKING:
    from service.db import Database

keys = typer.Typer(help="API keys: create, list, revoke.", no_args_is_help=True)
app.add_typer(keys, name="keys")


def _database() -> Database:
    """The service's database, migrated; exit 3, naming it (never its password), when it
    cannot be reached or is not a database file."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import DatabaseError, OperationalError

    from risk.i18n import both
    from service.db import Database, migrate
    from service.settings import Settings

    settings = Settings()
    try:
        migrate(settings.database_url)
    except DatabaseError as exc:
        where = make_url(settings.database_url).render_as_string(hide_password=True)
        key = "db_unreachable" if isinstance(exc, OperationalError) else "db_corrupt_at_start"
        zh, en = both(key, url=where)
        err.print(f"[red]error:[/red] {zh}\n{en}", highlight=False)
        raise typer.Exit(3) from exc
    return Database(settings.database_url, settings.db_timeout_seconds)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
) -> None:
    """Run the scoring service. With no champion model, build the embedded default first;
    with no API key, create a first admin key and print it (shown only once)."""
    from service.auth import create_key, list_keys
    from service.bootstrap import ensure_champion
    from service.server import run
    from service.settings import Settings

    settings = Settings()
    store = _store(settings.mlflow_uri, "RISK_MLFLOW_URI")
    ensure_champion(store)
    version = _served_version(store, settings.model_uri)
    db = _database()
    if not list_keys(db):
        key = create_key(db, "admin", label="first admin key (created by risk serve)")
        _lines("first admin key (shown once, keep it safe):", key)
    base = f"http://{host}:{port}"
    _lines(f"serving risk-triage version {version} at:", base, "API docs:", f"{base}/docs")
    run(host, port, workers)


def _lines(*lines: str) -> None:
    """Each line as it is: never wrapped or boxed, so a key or URL copied from a narrow
    terminal is whole."""
    for line in lines:
        out.print(line, soft_wrap=True, markup=False, highlight=False)


def _served_version(uri: str | None, model_uri: str) -> str:
    """The registered version ``model_uri`` names; exit 2, naming it, when it is not there
    (the service could never become ready, and a reload would not help)."""
    from risk.errors import ModelError
    from risk.i18n import both
    from risk.registry import MODEL_NAME, Registry

    if not model_uri.startswith((f"models:/{MODEL_NAME}/", f"models:/{MODEL_NAME}@")):
        return model_uri  # runs:/ and other URIs are loaded as given
    try:
        return str(Registry(uri).version_of(model_uri).version)
    except ModelError as exc:
        zh, en = both("model_not_registered", model=model_uri)
        err.print(f"[red]error:[/red] {zh}\n{en}\n({exc})", highlight=False)
        raise typer.Exit(2) from exc


@keys.command("create")
def keys_create(
    role: Annotated[Role, typer.Option(help="What the key may do.", case_sensitive=False)],
    grids: Annotated[
        str | None, typer.Option(help="Comma-separated grid ids it may see (or --all-grids).")
    ] = None,
    all_grids: Annotated[
        bool, typer.Option("--all-grids", help="A key that sees every grid (or --grids).")
    ] = False,
    label: Annotated[str, typer.Option(help="Whose key this is (no names of clients).")] = "",
) -> None:
    """Create a key and print it; only its hash is stored. Give exactly one of --grids
    and --all-grids: an empty --grids (an unset shell variable) is refused."""
    from risk.i18n import both
    from service.auth import create_key

    try:
        if all_grids == (grids is not None):
            raise ValueError(" / ".join(both("keys_no_grids")))
        key = create_key(
            _database(), role.value, None if all_grids else (grids or "").split(","), label
        )
    except ValueError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    out.print(key, highlight=False)


@keys.command("list")
def keys_list(fmt: FormatOpt = OutputFormat.table) -> None:
    """Every key: prefix, role, grids, label, created, revoked."""
    from service.auth import list_keys

    columns = [
        Col("prefix"),
        Col("role"),
        Col("grids", show=lambda v: v or "(all)"),
        Col("label"),
        Col("created"),
        Col("revoked"),
    ]
    rows = [
        [
            k.prefix,
            k.role,
            k.grids or "",
            k.label,
            k.created_at.isoformat(timespec="seconds"),
            "" if k.revoked_at is None else k.revoked_at.isoformat(timespec="seconds"),
        ]
        for k in list_keys(_database())
    ]
    print_rows(Rows(columns, rows), fmt=fmt)


@keys.command("revoke")
def keys_revoke(
    prefix: Annotated[str, typer.Argument(help="The key's prefix (see list).")],
) -> None:
    """Revoke a key: its page logins end at once; new API requests with it are refused
    within 5 s (each service process trusts a key it checked for up to 5 s); requests
    already admitted finish."""
    from service.auth import revoke_key

    if not revoke_key(_database(), prefix):
        err.print(f"[red]error:[/red] no active key with prefix {prefix}")
        raise typer.Exit(1)
    out.print(f"revoked {prefix}")
