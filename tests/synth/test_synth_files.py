"""generate_to_dir writes the three Parquet files, and messy county CSVs that ingest reads back."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from risk.ingest import read_ledger
from risk.schema import CASE, HOUSEHOLD_SURVEY, RecordKind
from risk.synth import Population
from risk.synth.messy import BOOL_STYLES

Written = tuple[Path, dict[str, int]]
MESSY = [("households", HOUSEHOLD_SURVEY, "gb18030"), ("cases", CASE, "utf-8-sig")]


def test_synth_writes_exactly_the_files_it_counts(written: Written) -> None:
    out, counts = written
    assert sorted(p.name for p in out.iterdir()) == sorted(counts)
    assert set(counts) == {
        "households.parquet",
        "cases.parquet",
        "truth.parquet",
        "households.csv",
        "cases.csv",
    }
    for name in ("households", "cases", "truth"):
        assert len(pd.read_parquet(out / f"{name}.parquet")) == counts[f"{name}.parquet"]


def test_synth_parquet_round_trips_the_frames(
    written: Written, written_population: Population
) -> None:
    out, _ = written
    for name in ("households", "cases", "truth"):
        pd.testing.assert_frame_equal(
            pd.read_parquet(out / f"{name}.parquet"), getattr(written_population, name)
        )


@pytest.mark.parametrize(("name", "kind", "encoding"), MESSY)
def test_synth_messy_csv_has_chinese_headers_and_its_encoding(
    written: Written, name: str, kind: RecordKind, encoding: str
) -> None:
    out, _ = written
    raw = (out / f"{name}.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") == (encoding == "utf-8-sig")
    if encoding == "gb18030":
        with pytest.raises(UnicodeDecodeError):
            raw.decode("utf-8")
    header = raw.decode(encoding).splitlines()[0]
    assert header.split(",") == [f.zh for f in kind]


def test_synth_messy_csv_mixes_spellings(written: Written) -> None:
    out, _ = written
    cases = pd.read_csv(out / "cases.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert not cases[CASE["source"].zh].isin(CASE["source"].codes).any()
    spelled = set(cases[CASE["threats"].zh]) - {""}
    assert len(spelled) >= 8 and spelled <= {w for pair in BOOL_STYLES for w in pair}
    dates = cases[CASE["opened_at"].zh]
    assert dates.str.contains("年").any() and dates.str.contains("/").any()
    assert dates.str.contains("-").any()


@pytest.mark.parametrize(("name", "kind", "encoding"), MESSY)
def test_synth_messy_csv_ingests_to_the_clean_frame(
    written: Written, name: str, kind: RecordKind, encoding: str
) -> None:
    out, _ = written
    result = read_ledger(out / f"{name}.csv", kind)
    assert result.rows_quarantined == 0, result.errors.head()
    pd.testing.assert_frame_equal(result.frame, pd.read_parquet(out / f"{name}.parquet"))
