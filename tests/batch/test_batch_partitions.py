"""A case ledger spilled to disk by household range hands out the same cases as one held
whole, scores the same, and leaves no temporary file behind, whether the run succeeds or not."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import AS_OF
from test_batch_local import _broken, _same, _whole

from risk.batch import InvalidLedger, score_local
from risk.batch.cases import read_cases
from risk.batch.ledger import household_chunks
from risk.batch.partitions import household_bounds, open_cases

DAY = pd.Timestamp(AS_OF).date()


def _ids(frame: pd.DataFrame) -> list[str]:
    return frame["case_id"].astype(str).tolist()


def test_bounds_cut_the_cases_into_ranges_of_about_equal_size(ledger):
    ids = pd.read_parquet(ledger / "cases.parquet")["household_id"].astype(str).sort_values()
    bounds = household_bounds(ledger / "cases.parquet", 5)
    assert len(bounds) == 4 and bounds == sorted(set(bounds))
    sizes = np.diff([0, *ids.searchsorted(bounds, side="right"), len(ids)])
    assert all(0.8 * len(ids) / 5 < size < 1.2 * len(ids) / 5 for size in sizes), sizes


def test_spilled_ledger_hands_out_what_the_whole_one_does(ledger, tmp_path):
    cases = ledger / "cases.parquet"
    whole = read_cases(cases, DAY, False)
    with open_cases(cases, DAY, False, tmp_path, partition_rows=100) as spilled:
        assert len(list(tmp_path.glob(".cases.*/*/*.pickle"))) > 3
        for chunk in household_chunks(ledger / "households.parquet", 997):
            got = spilled.through(chunk.last_id)
            assert _ids(got) == _ids(whole.through(chunk.last_id))
            assert len(spilled.frame) < 200  # one range in memory, not the ledger
        rest = [i for frame in spilled.remaining() for i in _ids(frame)]
        assert rest == _ids(next(whole.remaining()))
    assert list(tmp_path.iterdir()) == []


def test_spilled_ledger_finds_the_bad_rows_the_whole_one_finds(broken_cases, tmp_path):
    spill = tmp_path / "spill"
    whole = read_cases(broken_cases, DAY, True, batch_rows=50)
    with open_cases(broken_cases, DAY, True, spill, partition_rows=100, batch_rows=50) as got:
        pd.testing.assert_frame_equal(got.quarantine, whole.quarantine)
    refused = open_cases(broken_cases, DAY, False, spill, partition_rows=100, batch_rows=50)
    with pytest.raises(InvalidLedger, match="3 invalid rows"), refused:
        pass
    assert list(spill.iterdir()) == []


def test_scoring_with_spilled_cases_equals_scoring_everything_at_once(ledger, model, tmp_path):
    out = tmp_path / "scores.parquet"
    report = score_local(
        ledger / "households.parquet", ledger / "cases.parquet", out, model, AS_OF,
        jobs=2, batch_rows=2048, partition_rows=100,
    )  # fmt: skip
    got = pd.read_parquet(out)
    _same(got, _whole(ledger, model))
    assert report.households_scored == len(got)
    assert list(tmp_path.iterdir()) == [out]


def test_a_failed_run_leaves_no_spilled_cases(ledger, model, tmp_path):
    data = _broken(ledger, tmp_path)
    out = tmp_path / "out" / "scores.parquet"
    with pytest.raises(InvalidLedger, match="allow-partial"):
        score_local(
            data / "households.parquet", data / "cases.parquet", out, model, AS_OF,
            jobs=1, batch_rows=1000, partition_rows=100,
        )  # fmt: skip
    assert list(out.parent.iterdir()) == []
