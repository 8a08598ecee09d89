"""A ledger directory as labelled scoring units, split by time for honest evaluation.

A data directory holds ``households.parquet`` and ``cases.parquet`` in the contract's
shape (what ``risk generate`` and ``risk ingest`` write). Both are validated against the
contract on the way in; a file with bad rows is refused with the ingest errors.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from risk.errors import ContractError
from risk.features import build_units, extract_date, label_units
from risk.ingest import read_ledger

__all__ = ["Ledger", "Split", "load_ledger", "time_split"]

PERIODS = ("train", "calibration", "test")


@dataclass
class Ledger:
    households: pd.DataFrame
    cases: pd.DataFrame
    versions: dict[str, str]
    #: The last day the provider says the ledger records new cases (None: its latest case).
    stated_extract_date: pd.Timestamp | None = None

    @property
    def extract_date(self) -> pd.Timestamp:
        """The last day the ledger records new cases; labels need their window before it."""
        return extract_date(self.cases, self.stated_extract_date)

    def combine(self, newer: Ledger) -> Ledger:
        """This ledger and a newer one: a case or survey wave in both keeps the newer row."""
        households = pd.concat([self.households, newer.households], ignore_index=True)
        households = households.drop_duplicates(["household_id", "survey_date"], keep="last")
        cases = pd.concat([self.cases, newer.cases], ignore_index=True)
        cases = cases.drop_duplicates(["case_id"], keep="last")
        versions = {**{f"base_{k}": v for k, v in self.versions.items()}, **newer.versions}
        return Ledger(
            households.reset_index(drop=True),
            cases.reset_index(drop=True),
            versions,
            newer.stated_extract_date,
        )

    def write(self, folder: Path) -> Path:
        """Write both frames as Parquet (the layout load_ledger reads)."""
        folder.mkdir(parents=True, exist_ok=True)
        self.households.to_parquet(folder / "households.parquet", index=False)
        self.cases.to_parquet(folder / "cases.parquet", index=False)
        return folder

    def units(self) -> pd.DataFrame:
        """Every scoring unit with its label (NA while its outcome window is open)."""
        units = build_units(self.households, self.cases)
        units["label"] = label_units(units, self.cases, self.extract_date)
        return units


def file_hash(path: Path) -> str:
    """SHA-256 of a file's bytes: the data version recorded with a model."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_ledger(data_dir: Path, extract_date: str | pd.Timestamp | None = None) -> Ledger:
    """Read and validate ``households.parquet`` and ``cases.parquet`` from ``data_dir``.

    ``extract_date`` is the last day the ledger records new cases, when its provider
    states one; by default it is the latest ``opened_at``."""
    frames = {}
    versions = {}
    for kind in ("households", "cases"):
        path = Path(data_dir) / f"{kind}.parquet"
        if not path.exists():
            raise ContractError(f"{data_dir}: no {kind}.parquet (write it with risk ingest)")
        result = read_ledger(path, kind)
        if len(result.quarantine):
            first = result.errors.iloc[0]
            raise ContractError(
                f"{path}: {len(result.quarantine)} rows break the contract; first: row "
                f"{first['row']}, {first['field']} = {first['value']!r}: {first['reason_en']}"
            )
        frames[kind] = result.frame
        versions[kind] = file_hash(path)
    stated = None
    if extract_date is not None:
        try:
            stated = pd.Timestamp(extract_date).normalize()
        except (TypeError, ValueError) as exc:
            raise ContractError(
                f"extract date: expected a date such as 2024-12-31, got {extract_date!r}"
            ) from exc
    return Ledger(frames["households"], frames["cases"], versions, stated)


@dataclass
class Split:
    """Labelled units of one period and the dates it spans."""

    name: str
    units: pd.DataFrame
    start: pd.Timestamp
    end: pd.Timestamp

    @property
    def labels(self) -> pd.Series:
        return self.units["label"]


def time_split(
    units: pd.DataFrame, fractions: tuple[float, float, float] = (0.6, 0.2, 0.2)
) -> dict[str, Split]:
    """Labelled units split by ``as_of`` into train, calibration and test periods.

    Cut dates fall at the quantiles of the labelled units' dates, so no day straddles two
    periods; unlabelled units (outcome window still open) are left out.
    """
    if len(fractions) != 3 or abs(sum(fractions) - 1.0) > 1e-9 or min(fractions) <= 0:
        raise ValueError(f"fractions: three positive shares adding to 1, got {fractions}")
    labelled = units[units["label"].notna()]
    if labelled.empty:
        raise ContractError("no unit has a complete outcome window; the ledger is too short")
    as_of = pd.to_datetime(labelled["as_of"]).to_numpy("datetime64[D]")
    first, second = np.quantile(
        as_of.astype(np.int64), [fractions[0], fractions[0] + fractions[1]], method="lower"
    )
    edges = [as_of.min().astype(np.int64) - 1, first, second, as_of.max().astype(np.int64)]
    day = as_of.astype(np.int64)
    out = {}
    for i, name in enumerate(PERIODS):
        lo, hi = int(edges[i]), int(edges[i + 1])  # (lo, hi] in days since 1970
        part = labelled[(day > lo) & (day <= hi)]
        start, end = (pd.Timestamp(np.datetime64(d, "D")) for d in (lo + 1, hi))
        if part.empty or part["label"].nunique() < 3:
            raise ContractError(
                f"the {name} period ({start.date()} to {end.date()}) lacks units of every "
                "tier; the ledger is too small or too short to train on"
            )
        out[name] = Split(name, part.reset_index(drop=True), start, end)
    return out


def unlabelled(units: pd.DataFrame) -> pd.DataFrame:
    """The units whose outcome window is still open (the ledger's last 90 days): no label
    yet, but the latest inflow, on which capacity is measured."""
    return units[units["label"].isna()].reset_index(drop=True)


def grid_groups(units: pd.DataFrame, reference: pd.DataFrame, groups: int = 4) -> pd.Series:
    """Each unit's grid bucketed by its grid's red rate in ``reference`` (quartiles).

    Grids are too many to report one by one; grouping by their own base rate shows whether
    the model is as good in high-risk grids as in calm ones. Unknown grids get "unknown".
    """
    red = (reference["label"] == "red").groupby(reference["grid_id"], observed=True).mean()
    if red.empty:
        return pd.Series("unknown", index=units.index)
    ranks = red.rank(method="first").to_numpy()
    bucket = np.ceil(ranks / len(ranks) * groups).clip(1, groups).astype(int)
    names = pd.Series([f"Q{b}" for b in bucket], index=red.index)
    return units["grid_id"].astype(object).map(names).fillna("unknown").astype(str)
