"""Reading CSV (every encoding), Excel and Parquet; mapping headers."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from utils.broken_files import BROKEN

from risk.errors import IngestError
from risk.readers import Mapping, detect_encoding, load_mapping, map_headers, read_table
from risk.schema import CASE, HOUSEHOLD_SURVEY

ROWS = [
    {"户编号": "H1", "纠纷类型": "邻里纠纷", "案情摘要": "双方因宅基地边界发生争执"},
    {"户编号": "H2", "纠纷类型": "婚姻家庭", "案情摘要": "酒后争吵"},
]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_read_csv_in_every_encoding_gives_the_same_cells(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "ledger.csv"
    pd.DataFrame(ROWS).to_csv(path, index=False, encoding=encoding)
    frame = read_table(path)
    assert list(frame.columns) == list(ROWS[0])
    assert frame.loc[2, "案情摘要"] == "双方因宅基地边界发生争执"
    assert list(frame.index) == [2, 3]


def test_detect_encoding_ignores_a_character_cut_at_the_sample_end() -> None:
    sample = "邻里纠纷".encode()[:-1]
    assert detect_encoding(sample) == "utf-8"
    assert detect_encoding("邻里纠纷，宅基地".encode("gb18030")) == "gb18030"


def test_read_excel_keeps_date_cells_and_numbers(tmp_path: Path) -> None:
    path = tmp_path / "ledger.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame({"x": [1]}).to_excel(writer, sheet_name="说明", index=False)
        pd.DataFrame({"登记日期": [pd.Timestamp("2024-03-05")], "当事人数": [3]}).to_excel(
            writer, sheet_name="台账", index=False
        )
    frame = read_table(path, sheet="台账")
    assert frame.loc[2, "登记日期"] == pd.Timestamp("2024-03-05")
    assert read_table(path, sheet=1).columns.tolist() == ["登记日期", "当事人数"]
    assert read_table(path).columns.tolist() == ["x"]


def test_read_excel_names_a_missing_sheet(tmp_path: Path) -> None:
    path = tmp_path / "ledger.xlsx"
    pd.DataFrame({"x": [1]}).to_excel(path, index=False)
    with pytest.raises(IngestError, match="'台账'"):
        read_table(path, sheet="台账")


def test_read_parquet_numbers_rows_from_one(tmp_path: Path) -> None:
    path = tmp_path / "ledger.parquet"
    pd.DataFrame(ROWS).to_parquet(path)
    assert list(read_table(path).index) == [1, 2]


@pytest.mark.parametrize("name", ["ledger.json", "ledger"])
def test_read_table_refuses_other_formats(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text("{}")
    with pytest.raises(IngestError, match="unsupported file format"):
        read_table(path)


def test_map_headers_accepts_names_chinese_headers_and_spacing() -> None:
    headers = map_headers(
        ["Case_ID", "户编号", "登记 日期", "来源", "纠纷类型", "对方关系", "村名"], CASE
    )
    assert headers.rename == {
        "Case_ID": "case_id",
        "户编号": "household_id",
        "登记 日期": "opened_at",
        "来源": "source",
        "纠纷类型": "dispute_type",
        "对方关系": "counterpart",
    }
    assert headers.unknown == ["村名"]
    assert headers.missing_required == []


def test_map_headers_lists_missing_required_fields() -> None:
    assert map_headers(["户编号"], HOUSEHOLD_SURVEY).missing_required == [
        "survey_date",
        "grid_id",
        "area",
        "household_size",
        "children",
        "elderly",
    ]


def test_map_headers_uses_the_mapping_first() -> None:
    mapping = Mapping(columns={"户号": "household_id", "走访日期": "调查日期"})
    headers = map_headers(["户号", "走访日期"], HOUSEHOLD_SURVEY, mapping)
    assert headers.rename == {"户号": "household_id", "走访日期": "survey_date"}


def test_map_headers_refuses_two_columns_for_one_field() -> None:
    with pytest.raises(IngestError, match="household_id"):
        map_headers(["household_id", "户编号"], HOUSEHOLD_SURVEY)


def test_mapping_to_an_unknown_field_is_named(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match=r"'村名'.*'village'"):
        map_headers(["村名"], CASE, Mapping(columns={"村名": "village"}))


def test_load_mapping_reads_both_forms(tmp_path: Path) -> None:
    full = tmp_path / "full.yaml"
    full.write_text(
        "columns:\n  户号: household_id\nvalues:\n  dispute_type:\n    家庭矛盾: marital\n",
        encoding="utf-8",
    )
    flat = tmp_path / "flat.yaml"
    flat.write_text("户号: household_id\n", encoding="utf-8")
    assert load_mapping(full) == Mapping(
        {"户号": "household_id"}, {"dispute_type": {"家庭矛盾": "marital"}}
    )
    assert load_mapping(flat) == Mapping({"户号": "household_id"})
    assert load_mapping(None) == Mapping()


def test_load_mapping_names_a_broken_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("- just\n- a list\n", encoding="utf-8")
    with pytest.raises(IngestError, match=r"bad\.yaml"):
        load_mapping(path)


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_an_unreadable_file_is_refused_by_name_in_both_languages(tmp_path: Path, name: str) -> None:
    make, says = BROKEN[name]
    path = tmp_path / name
    path.write_bytes(make())
    with pytest.raises(IngestError, match=re.escape(says)) as refused:
        read_table(path)
    assert str(refused.value).startswith(f"{name}: ") and re.search(
        "[\u4e00-\u9fff]", str(refused.value)
    )
