"""The error batch scoring raises when its input breaks the data contract."""

from __future__ import annotations

import pandas as pd

from risk.errors import ContractError

__all__ = ["InvalidLedger"]


class InvalidLedger(ContractError):
    """A ledger file has rows that break the contract; ``errors`` lists them as ingest does
    (row, field, value, reason_zh, reason_en)."""

    def __init__(self, path: str, kind: str, errors: pd.DataFrame, first: bool = False) -> None:
        rows = errors["row"].nunique()
        where = "the first invalid rows" if first else "invalid rows"
        super().__init__(
            f"{path}: {rows:,} {where} of {kind} break the data contract "
            f"(run `risk validate {path} --kind {kind}` for every one, or score with "
            "--allow-partial to quarantine them)"
        )
        self.path = path
        self.kind = kind
        self.errors = errors
