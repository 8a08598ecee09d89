"""The case ledger read in batches finds the same bad rows as ingest reading it whole."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import AS_OF

from risk.batch import InvalidLedger
from risk.batch.cases import read_cases
from risk.ingest import read_ledger


def test_batched_reading_finds_what_ingest_finds(broken_cases):
    whole = read_ledger(broken_cases, "cases")
    ledger = read_cases(broken_cases, pd.Timestamp(AS_OF).date(), True, batch_rows=50)
    assert sorted(ledger.quarantine["_row"]) == sorted(whole.quarantine["_row"]) == [22, 151, 301]
    assert len(ledger.frame) == len(whole.frame)
    assert set(ledger.frame["case_id"]) == set(whole.frame["case_id"])
    reasons = ledger.quarantine.set_index("_row")["_reason_en"]
    assert reasons[301] == whole.quarantine.set_index("_row")["_reason_en"][301]
    with pytest.raises(InvalidLedger, match="3 invalid rows"):
        read_cases(broken_cases, pd.Timestamp(AS_OF).date(), False, batch_rows=50)


def test_only_open_cases_keep_their_notes(ledger):
    day = pd.Timestamp(AS_OF)
    cases = read_cases(ledger / "cases.parquet", day.date(), False).frame
    open_now = (cases["opened_at"] <= day) & ~(cases["outcome_at"] <= day).fillna(False)
    assert cases.loc[~open_now.astype(bool), "notes"].isna().all()
    assert cases.loc[open_now.astype(bool), "notes"].notna().any()


def test_a_case_ledger_without_case_ids_is_refused_by_the_contract(ledger, tmp_path):
    from risk.errors import ContractError

    path = tmp_path / "cases.parquet"
    pd.read_parquet(ledger / "cases.parquet").drop(columns="case_id").to_parquet(path)
    with pytest.raises(ContractError, match="case_id"):
        read_cases(path, pd.Timestamp(AS_OF).date(), False)
