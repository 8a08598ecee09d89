"""The exceptions the library raises; the CLI and the service map them to exit codes and 4xx."""

from __future__ import annotations

from pathlib import Path

from risk.i18n import text

__all__ = ["ConfigError", "ContractError", "IngestError", "ModelError", "RiskError", "refusal"]


class RiskError(Exception):
    """Base of every error the ``risk`` library raises on purpose."""


class ContractError(RiskError):
    """Data does not meet the data contract (a field, a value, a missing column)."""


class IngestError(ContractError):
    """A ledger file cannot be read at all (format, encoding, sheet, mapping)."""


def refusal(path: Path, key: str, **values: object) -> IngestError:
    """A file that cannot be read: its name and the message ``key`` in zh and en."""
    return IngestError(f"{path.name}: {text(key, 'zh', **values)} / {text(key, 'en', **values)}")


class ConfigError(RiskError):
    """A configuration file or setting is invalid."""


class ModelError(RiskError):
    """A model cannot be trained, loaded or applied."""
