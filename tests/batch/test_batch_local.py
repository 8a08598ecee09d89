"""The local engine: same rows as scoring everything at once, in chunks or processes; refuses
or quarantines contract-invalid rows; leaves nothing complete-looking when it fails."""

from __future__ import annotations

import pandas as pd
import pyarrow.parquet as pq
import pytest
from conftest import AS_OF

from risk.batch import OUTPUT_COLUMNS, InvalidLedger, quarantine_path, score_local
from risk.batch.output import output_frame
from risk.batch.partitions import PARTITION_ROWS
from risk.errors import ContractError, IngestError
from risk.features.asof import household_units


def _score(ledger, out, model, **kwargs):
    return score_local(
        ledger / "households.parquet", ledger / "cases.parquet", out, model, AS_OF, **kwargs
    )


def _whole(ledger, model) -> pd.DataFrame:
    """Every household scored at once in memory: what the streamed output must equal."""
    units = household_units(
        pd.read_parquet(ledger / "households.parquet"),
        pd.read_parquet(ledger / "cases.parquet"),
        AS_OF,
    )
    return output_frame(model.predict_frame(units))


def _same(got: pd.DataFrame, want: pd.DataFrame) -> None:
    assert list(got.columns) == OUTPUT_COLUMNS
    assert len(got) == len(want)
    for name in OUTPUT_COLUMNS:
        a, b = got[name].reset_index(drop=True), want[name].reset_index(drop=True)
        if name.startswith("p_"):
            pd.testing.assert_series_equal(a, b, check_names=False, rtol=0, atol=1e-12)
        else:
            assert a.astype(str).tolist() == b.astype(str).tolist(), name


@pytest.mark.parametrize(("jobs", "batch_rows"), [(1, 997), (2, 2048)])
def test_streamed_output_equals_scoring_everything_at_once(
    ledger, model, tmp_path, jobs, batch_rows
):
    out = tmp_path / "scores.parquet"
    given = model if jobs == 1 else lambda: model  # a model, or a function that loads it
    report = _score(ledger, out, given, jobs=jobs, batch_rows=batch_rows)
    got = pd.read_parquet(out)
    want = _whole(ledger, model)
    _same(got, want)
    assert report.households_scored == len(got)
    assert 0 < report.scoring <= report.seconds
    assert report.survey_rows == pq.ParquetFile(ledger / "households.parquet").metadata.num_rows
    assert got["household_id"].is_monotonic_increasing and got["household_id"].is_unique
    assert set(got["tier"]) <= {"green", "yellow", "red"} and got["reason_1_zh"].notna().all()
    assert (got["model_version"] == model.info.version).all()
    assert pq.ParquetFile(out).metadata.num_row_groups > 1  # written as it went


@pytest.mark.parametrize("partition_rows", [PARTITION_ROWS, 100])  # held whole, spilled
def test_households_known_only_from_cases_are_scored(ledger, model, tmp_path, partition_rows):
    cases = pd.read_parquet(ledger / "cases.parquet")
    extra = cases.iloc[[0]].assign(
        case_id="C9999999", household_id="H9999999", opened_at=pd.Timestamp(AS_OF),
        outcome=None, outcome_at=pd.NaT,
    )  # fmt: skip
    data = tmp_path / "data"
    data.mkdir()
    pd.concat([cases, extra]).to_parquet(data / "cases.parquet")
    (data / "households.parquet").symlink_to(ledger / "households.parquet")
    out = _score(data, tmp_path / "out.parquet", model, jobs=1, partition_rows=partition_rows).out
    got = pd.read_parquet(out)
    row = got[got["household_id"] == "H9999999"]
    assert len(row) == 1 and row["unit"].iloc[0] == "case"


def _broken(ledger, tmp_path):
    households = pd.read_parquet(ledger / "households.parquet")
    households["phq9"] = households["phq9"].astype("Int64")
    households["phq9"] = households["phq9"].mask(households.index == 5, 99)  # out of range
    households["area"] = households["area"].mask(households.index == 1500)  # required
    data = tmp_path / "broken"
    data.mkdir()
    households.to_parquet(data / "households.parquet")
    (data / "cases.parquet").symlink_to(ledger / "cases.parquet")
    return data


def test_contract_invalid_rows_are_refused_and_nothing_is_written(ledger, model, tmp_path):
    data = _broken(ledger, tmp_path)
    out = tmp_path / "out.parquet"
    with pytest.raises(InvalidLedger, match="allow-partial") as info:
        _score(data, out, model, jobs=1, batch_rows=1000)
    assert info.value.errors["row"].tolist() == [6]  # the first chunk's error, file row 6
    assert info.value.errors["field"].tolist() == ["phq9"]
    assert not out.exists() and list(tmp_path.glob("*.part")) == []


def test_allow_partial_quarantines_the_bad_rows_and_scores_the_rest(ledger, model, tmp_path):
    data = _broken(ledger, tmp_path)
    out = tmp_path / "out.parquet"
    report = _score(data, out, model, jobs=2, batch_rows=1000, allow_partial=True)
    quarantined = pd.read_parquet(quarantine_path(out, "households"))
    assert quarantined["_row"].tolist() == [6, 1501]
    assert "phq9" in quarantined["_reason_en"].iloc[0]
    assert report.survey_rows_quarantined == 2
    assert report.quarantine == [quarantine_path(out, "households")]
    got = pd.read_parquet(out)
    assert got["household_id"].is_unique and len(got) == report.households_scored


def test_contract_invalid_cases_are_refused(ledger, model, tmp_path):
    cases = pd.read_parquet(ledger / "cases.parquet")
    cases["dispute_type"] = cases["dispute_type"].mask(cases.index == 3)
    data = tmp_path / "data"
    data.mkdir()
    cases.to_parquet(data / "cases.parquet")
    (data / "households.parquet").symlink_to(ledger / "households.parquet")
    with pytest.raises(InvalidLedger, match="cases"):
        _score(data, tmp_path / "out.parquet", model, jobs=1)
    report = _score(data, tmp_path / "out.parquet", model, jobs=1, allow_partial=True)
    assert report.cases_quarantined == 1
    assert pd.read_parquet(quarantine_path(tmp_path / "out.parquet", "cases"))["_row"].tolist() == [
        4
    ]


def test_unsorted_households_are_refused_with_the_row(ledger, model, tmp_path):
    households = pd.read_parquet(ledger / "households.parquet")
    data = tmp_path / "data"
    data.mkdir()
    households.iloc[::-1].to_parquet(data / "households.parquet")
    (data / "cases.parquet").symlink_to(ledger / "cases.parquet")
    with pytest.raises(ContractError, match=r"sorted by household_id for streaming; row \d+ \('H"):
        _score(data, tmp_path / "out.parquet", model, jobs=1)
    assert not (tmp_path / "out.parquet").exists()


def test_a_csv_survey_ledger_is_refused_with_what_to_do(ledger, model, tmp_path):
    path = tmp_path / "households.csv"
    path.write_text("household_id\nH1\n")
    with pytest.raises(IngestError, match="risk ingest"):
        score_local(path, ledger / "cases.parquet", tmp_path / "o.parquet", model, AS_OF, jobs=1)


def test_the_workers_scorer_is_the_pyfuncs_predict(ledger, model):
    from risk.batch.worker import pyfunc_of
    from risk.models.pyfunc import TriagePyfunc

    units = household_units(
        pd.read_parquet(ledger / "households.parquet"),
        pd.read_parquet(ledger / "cases.parquet"),
        AS_OF,
    ).head(500)
    pyfunc = TriagePyfunc()
    pyfunc.model = model
    for params in (None, {"reasons": False}):
        pd.testing.assert_frame_equal(
            pyfunc_of(model).predict(None, units, params), pyfunc.predict(None, units, params)
        )
