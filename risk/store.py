"""Where the MLflow tracking store and registry are, and what chose them.

In order: a URI given explicitly (``--tracking-uri``, the service's setting), the
product's ``RISK_MLFLOW_URI``, MLflow's own ``MLFLOW_TRACKING_URI``, else a SQLite store
``mlruns/mlflow.db`` (artifacts in ``mlruns/artifacts``) under :func:`home`. None of it
depends on the current directory.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from risk.errors import ConfigError
from risk.i18n import both

__all__ = ["APP", "Store", "home", "resolve", "user_data_dir"]

#: The folder name of the per-user data directory, and the project a checkout declares.
APP = "risk-triage"
#: The environment variables read, most specific first.
ENV_URIS = ("RISK_MLFLOW_URI", "MLFLOW_TRACKING_URI")


@dataclass(frozen=True)
class Store:
    """An MLflow store URI and the message key of what chose it (``store_from_*``)."""

    uri: str
    source: str
    name: str = ""

    def describe(self) -> str:
        """One line for a command's output: the store, and why this one (zh / en)."""
        label_zh, label_en = both("mlflow_store")
        from_zh, from_en = both(self.source, name=self.name)
        return f"{label_zh} / {label_en}: {self.uri}（{from_zh} / {from_en}）"


def resolve(uri: str | None = None, given_as: str = "--tracking-uri") -> Store:
    """The store to use: ``uri`` if given (``given_as`` names where it came from), else the
    environment's, else the SQLite store under :func:`home` (its folder created)."""
    if uri:
        return Store(uri, "store_from_setting", given_as)
    for name in ENV_URIS:
        if value := os.environ.get(name):
            return Store(value, "store_from_env", name)
    root, source = _home()
    base = root / "mlruns"
    try:
        base.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"MLflow store: cannot create {base} (set RISK_HOME): {exc}") from exc
    return Store(f"sqlite:///{(base / 'mlflow.db').as_posix()}", source, str(root))


def home() -> Path:
    """``RISK_HOME``; else the checkout for a development install; else the user's data
    directory (:func:`user_data_dir`)."""
    return _home()[0]


def _home() -> tuple[Path, str]:
    if value := os.environ.get("RISK_HOME"):
        return Path(value).expanduser().resolve(), "store_from_risk_home"
    checkout = _checkout(Path(__file__).resolve().parent)
    if checkout is not None:
        return checkout, "store_from_checkout"
    return user_data_dir(), "store_from_user_dir"


def _checkout(package: Path) -> Path | None:
    """The source checkout ``package`` lives in (an editable install), or None."""
    project = package.parent / "pyproject.toml"
    if project.is_file() and f'name = "{APP}"' in project.read_text("utf-8"):
        return package.parent
    return None


def user_data_dir() -> Path:
    """The per-user data directory: ``$XDG_DATA_HOME/risk-triage`` (default
    ``~/.local/share``); ``%LOCALAPPDATA%`` on Windows; ``~/Library/Application Support``
    on macOS (where ``platformdirs.user_data_dir`` puts it)."""
    if sys.platform == "win32":
        local = os.environ.get("LOCALAPPDATA")
        base = Path(local) if local else Path.home() / "AppData" / "Local"
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        xdg = os.environ.get("XDG_DATA_HOME", "")
        # the XDG rules: a relative path is invalid and ignored
        base = Path(xdg) if Path(xdg).is_absolute() else Path.home() / ".local" / "share"
    return base / APP
