"""Ingest: every spelling the contract allows is read, every bad value is named, no row is lost."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from utils.builders import builder, case_row, household_row, rows_frame
from utils.strategies import messy_rows

from risk.errors import ContractError
from risk.ingest import contract_schema, empty_frame, ingest_file, read_ledger, validate_frame
from risk.readers import Mapping
from risk.schema import (
    CASE,
    FALSE_WORDS,
    HOUSEHOLD_SURVEY,
    TRUE_WORDS,
    Field,
    RecordKind,
    all_fields,
)

KINDS = [HOUSEHOLD_SURVEY, CASE]


def _one(kind: RecordKind, **overrides: Any) -> pd.DataFrame:
    return rows_frame([builder(kind)(**overrides)])


def _chinese(rows: list[dict[str, Any]], kind: RecordKind) -> pd.DataFrame:
    """Rows with Chinese headers and Chinese value labels, as counties send them."""
    out = []
    for row in rows:
        zh_row = {}
        for name, value in row.items():
            f = kind[name]
            if f.kind == "enum" and value is not None:
                value = f.choice(value).zh
            elif f.kind == "bool" and value is not None:
                value = "是" if value else "否"
            zh_row[f.zh] = value
        out.append(zh_row)
    return pd.DataFrame(out)


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_valid_row_passes_with_contract_dtypes(kind: RecordKind) -> None:
    result = validate_frame(_one(kind), kind)
    assert (result.rows_out, result.rows_quarantined) == (1, 0)
    assert result.frame.columns.tolist() == kind.names
    contract_schema(kind).validate(result.frame)


def test_missing_optional_columns_come_back_empty() -> None:
    row = {k: v for k, v in case_row().items() if kind_required(CASE, k)}
    result = validate_frame(rows_frame([row]), CASE)
    assert result.rows_out == 1
    assert result.frame["threat_to_kill"].isna().all()
    assert result.frame.columns.tolist() == CASE.names


def kind_required(kind: RecordKind, name: str) -> bool:
    return kind[name].required


@pytest.mark.parametrize("fmt", ["csv-utf8", "csv-bom", "csv-gb18030", "xlsx", "parquet"])
def test_every_format_reads_to_the_same_frame(tmp_path: Path, fmt: str) -> None:
    rows = [
        case_row(case_id=f"C{i}", opened_at=f"2024-0{i}-01", outcome_at=f"2024-0{i}-20")
        for i in range(1, 5)
    ]
    expected = validate_frame(rows_frame(rows), CASE).frame
    source = _chinese(rows, CASE)
    path = tmp_path / f"ledger.{fmt.split('-')[0]}"
    if fmt == "xlsx":
        for col in ("登记日期", "结果日期"):
            source[col] = pd.to_datetime(source[col])  # real Excel date cells
        source.to_excel(path, index=False)
    elif fmt == "parquet":
        source.to_parquet(path)
    else:
        encoding = {"csv-utf8": "utf-8", "csv-bom": "utf-8-sig", "csv-gb18030": "gb18030"}[fmt]
        source.to_csv(path, index=False, encoding=encoding)
    result = read_ledger(path, "cases")
    assert result.rows_quarantined == 0, result.errors
    pd.testing.assert_frame_equal(result.frame, expected)


@pytest.mark.parametrize(
    "spelling,expected",
    [(w, True) for w in (*TRUE_WORDS, "Y", "TRUE", "1.0")]
    + [(w, False) for w in (*FALSE_WORDS, "N", "False")],
)
def test_boolean_spellings(spelling: str, expected: bool) -> None:
    result = validate_frame(_one(CASE, threats=spelling), CASE)
    assert result.frame.loc[0, "threats"] == expected


@pytest.mark.parametrize(
    "spelling",
    [
        "2024-03-05",
        "2024/3/5",
        "2024年3月5日",
        "2024.03.05",
        "20240305",
        "2024-03-05 00:00:00",
        " 2024/03/05 ",
        "２０２４年３月５日",
    ],
)
def test_date_spellings(spelling: str) -> None:
    result = validate_frame(_one(HOUSEHOLD_SURVEY, survey_date=spelling), HOUSEHOLD_SURVEY)
    assert result.frame.loc[0, "survey_date"] == pd.Timestamp("2024-03-05")


def _enum_fields() -> list[tuple[RecordKind, Field]]:
    return [(kind, f) for kind, f in all_fields() if f.kind == "enum"]


@pytest.mark.parametrize("kind,f", _enum_fields(), ids=lambda v: getattr(v, "name", ""))
def test_every_value_spelling_is_read_as_its_code(kind: RecordKind, f: Field) -> None:
    spelled = [(c.code, s) for c in f.choices for s in c.spellings()]
    rows = [builder(kind)(**{kind.key[0]: f"K{i}", f.name: s}) for i, (_, s) in enumerate(spelled)]
    result = validate_frame(rows_frame(rows), kind)
    assert result.rows_quarantined == 0, result.errors
    assert result.frame[f.name].tolist() == [code for code, _ in spelled]


def _int_fields() -> list[tuple[RecordKind, Field]]:
    return [(kind, f) for kind, f in all_fields() if f.kind == "int"]


@pytest.mark.parametrize("kind,f", _int_fields(), ids=lambda v: getattr(v, "name", ""))
def test_int_ranges_are_inclusive_and_enforced(kind: RecordKind, f: Field) -> None:
    assert f.low is not None and f.high is not None

    def frame(*values: int) -> pd.DataFrame:
        return rows_frame([builder(kind)(**{kind.key[0]: f"K{v}", f.name: v}) for v in values])

    assert validate_frame(frame(f.low, f.high), kind).rows_quarantined == 0
    bad = validate_frame(frame(f.low - 1, f.high + 1), kind)
    assert bad.errors[["row", "field", "value"]].values.tolist() == [
        [2, f.name, str(f.low - 1)],
        [3, f.name, str(f.high + 1)],
    ]
    assert bad.errors["reason_en"].str.startswith(f"outside {f.low}–{f.high}").all()
    assert bad.errors["reason_zh"].str.startswith(f"超出范围 {f.low}–{f.high}").all()


@pytest.mark.parametrize(
    "kind,name",
    [(k, n) for k in KINDS for n in k.required],
    ids=lambda v: v if isinstance(v, str) else v.name,
)
def test_required_field_left_empty_is_named(kind: RecordKind, name: str) -> None:
    result = validate_frame(_one(kind, **{name: ""}), kind)
    assert result.errors[["row", "field", "reason_en"]].values.tolist() == [
        [2, name, "required field is empty"]
    ]


@pytest.mark.parametrize(
    "field_name,value,reason",
    [
        ("parties", "两个", "not a whole number: 两个"),
        ("parties", "2.5", "not a whole number: 2.5"),
        ("threats", "也许", "not yes/no: 也许"),
        ("opened_at", "2024-02-30", "not a date: 2024-02-30"),
        ("opened_at", "2024", "not a date: 2024"),  # a year is not a day
        ("opened_at", "3142", "not a date: 3142"),  # found by Hypothesis: was a crash
        ("dispute_type", "打架", "not an allowed value: 打架"),
        ("notes", "很" * 4001, "longer than 4000 characters"),
    ],
)
def test_bad_values_are_named_with_row_field_value_and_reason(
    field_name: str, value: str, reason: str
) -> None:
    rows = [case_row(case_id="C1"), case_row(case_id="C2", **{field_name: value})]
    result = validate_frame(rows_frame(rows), CASE)
    assert (result.rows_out, result.rows_quarantined) == (1, 1)
    error = result.errors.iloc[0]
    assert (error["row"], error["field"]) == (3, field_name)
    assert error["value"] == (value if len(value) <= 80 else value[:80] + "…")
    assert error["reason_en"].startswith(reason)
    assert error["reason_zh"]
    quarantined = result.quarantine.iloc[0]
    assert quarantined["_row"] == "3" or quarantined["_row"] == 3
    assert field_name in quarantined["_reason_en"] and field_name in quarantined["_reason_zh"]


def test_duplicate_case_ids_are_quarantined_after_the_first() -> None:
    rows = [case_row(case_id="C1"), case_row(case_id="C2"), case_row(case_id="C1")]
    result = validate_frame(rows_frame(rows), CASE)
    assert result.frame["case_id"].tolist() == ["C1", "C2"]
    assert result.errors[["row", "field", "value"]].values.tolist() == [[4, "case_id", "C1"]]
    assert result.errors.loc[0, "reason_en"] == "duplicate case_id, first seen at row 2"
    assert result.duplicate_keys == 1


def test_outcome_dates_must_follow_the_case() -> None:
    rows = [
        case_row(case_id="C1", outcome_at="2024-03-01"),  # before opened_at
        case_row(case_id="C2", outcome_at=""),  # outcome with no date
        case_row(case_id="C3", outcome="", outcome_at=""),
    ]  # still open: fine
    result = validate_frame(rows_frame(rows), CASE)
    assert result.errors[["row", "field"]].values.tolist() == [[2, "outcome_at"], [3, "outcome_at"]]
    assert result.frame["case_id"].tolist() == ["C3"]


def test_unknown_columns_are_reported_and_left_out() -> None:
    frame = rows_frame([case_row(村名="东风村")])
    result = validate_frame(frame, CASE)
    assert result.unknown_columns == ["村名"]
    assert "村名" in result.summary("zh") and "unknown columns" in result.summary("en")
    assert "村名" not in result.frame.columns


def test_missing_required_column_refuses_the_file_naming_it() -> None:
    frame = rows_frame([{k: v for k, v in household_row().items() if k != "grid_id"}])
    with pytest.raises(ContractError, match=r"grid_id \(网格编号\)"):
        validate_frame(frame, HOUSEHOLD_SURVEY)


def test_mapping_renames_headers_and_adds_value_spellings() -> None:
    row = household_row()
    row["户号"] = row.pop("household_id")
    row["城乡类别"] = "村"
    del row["area"]
    mapping = Mapping(
        columns={"户号": "household_id", "城乡类别": "area"},
        values={"area": {"村": "rural", "镇": "urban"}},
    )
    result = validate_frame(rows_frame([row]), HOUSEHOLD_SURVEY, mapping)
    assert result.rows_quarantined == 0
    assert result.frame.loc[0, ["household_id", "area"]].tolist() == ["H0001", "rural"]


def test_empty_frame_has_contract_columns() -> None:
    for kind in KINDS:
        assert empty_frame(kind).columns.tolist() == kind.names


# --- nothing is lost ----------------------------------------------------------------------

BAD_VALUES = {
    "int": ["abc", "-5", "99999", "1.5"],
    "bool": ["maybe", "2"],
    "date": ["2024-13-45", "昨天"],
    "enum": ["不知道", "???"],
}


@st.composite
def ledgers(draw: st.DrawFn, kind: RecordKind) -> tuple[pd.DataFrame, set[int]]:
    """A ledger with some rows broken in one field; returns it and the rows that were broken."""
    n = draw(st.integers(1, 30))
    breakable = [f for f in kind if f.kind in BAD_VALUES and f.name != "outcome_at"]
    rows, broken = [], set()
    for i in range(n):
        row = builder(kind)(**{kind.key[0]: f"K{i}"})
        if draw(st.booleans()):
            f = draw(st.sampled_from(breakable))
            row[f.name] = draw(st.sampled_from(BAD_VALUES[f.kind]))
            if f.kind == "int" and row[f.name] != "abc" and f.low is not None:
                value = float(row[f.name])
                if f.low <= value <= f.high and value.is_integer():
                    continue
            broken.add(i + 2)
        if draw(st.booleans()):
            blank = draw(st.sampled_from([f for f in kind if not f.required]))
            already_broken = row[blank.name] in BAD_VALUES.get(blank.kind, [])
            if blank.name not in ("outcome_at", "outcome") and not already_broken:
                row[blank.name] = draw(st.sampled_from(["", None, "NA", " "]))
        rows.append(row)
    return rows_frame(rows), broken


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_every_row_is_written_or_quarantined(kind: RecordKind, data: st.DataObject) -> None:
    frame, broken = data.draw(ledgers(kind))
    result = validate_frame(frame, kind)
    assert result.rows_in == result.rows_out + result.rows_quarantined == len(frame)
    assert set(result.quarantine["_row"].astype(int)) == broken
    assert set(result.errors["row"]) == broken


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_messy_rows_are_each_accepted_or_quarantined_with_a_reason(
    kind: RecordKind, data: st.DataObject
) -> None:
    frame = rows_frame(data.draw(messy_rows(kind, max_rows=12)))
    result = validate_frame(frame, kind)
    assert result.rows_in == len(frame) == result.rows_out + result.rows_quarantined
    quarantined = result.quarantine["_row"].astype(int)
    assert quarantined.is_unique and set(quarantined) <= set(frame.index)
    for lang in ("zh", "en"):
        assert result.quarantine[f"_reason_{lang}"].str.strip().str.len().gt(0).all()
    assert set(result.errors["row"]) == set(quarantined)
    accepted = frame.index.difference(quarantined)
    key = kind.key[0]
    assert result.frame[key].tolist() == frame.loc[accepted, key].tolist()
    contract_schema(kind).validate(result.frame)


# --- writing ------------------------------------------------------------------------------


def test_ingest_file_writes_good_rows_and_quarantine(tmp_path: Path) -> None:
    source = tmp_path / "ledger.csv"
    rows = [case_row(case_id="C1"), case_row(case_id="C2", parties="很多"), case_row(case_id="C3")]
    _chinese([{**r, "parties": r["parties"]} for r in rows], CASE).to_csv(source, index=False)
    out = tmp_path / "out" / "cases.parquet"
    result = ingest_file(source, "cases", out)
    written = pd.read_parquet(out)
    assert written["case_id"].tolist() == ["C1", "C3"]
    quarantine = pd.read_csv(out.with_suffix(".quarantine.csv"), encoding="utf-8-sig", dtype=str)
    assert quarantine["_row"].tolist() == ["3"] and quarantine.loc[0, "当事人数"] == "很多"
    assert "parties" in quarantine.loc[0, "_reason_en"]
    assert result.rows_in == len(written) + len(quarantine)


def test_ingest_file_leaves_no_half_written_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "ledger.csv"
    rows_frame([case_row()]).to_csv(source, index=False)
    out = tmp_path / "cases.parquet"
    out.write_bytes(b"the previous complete file")

    def crash(self: pd.DataFrame, path: Path, **_: Any) -> None:
        Path(path).write_bytes(b"PAR1 half")
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", crash)
    with pytest.raises(OSError, match="disk full"):
        ingest_file(source, "cases", out)
    assert out.read_bytes() == b"the previous complete file"
    assert [p.name for p in tmp_path.iterdir()] == sorted(
        ["ledger.csv", "cases.parquet"]
    ) or sorted(p.name for p in tmp_path.iterdir()) == ["cases.parquet", "ledger.csv"]


def test_ingest_file_removes_a_stale_quarantine(tmp_path: Path) -> None:
    source = tmp_path / "ledger.csv"
    rows_frame([case_row()]).to_csv(source, index=False)
    stale = tmp_path / "cases.quarantine.csv"
    stale.write_text("old")
    ingest_file(source, "cases", tmp_path / "cases.parquet")
    assert not stale.exists()


def test_ids_outside_the_one_id_syntax_are_quarantined() -> None:
    rows = [case_row(case_id=v, household_id="H1") for v in ("C1", "a/b", "..", "C\u200b2")]
    result = validate_frame(rows_frame(rows), CASE)
    assert result.frame["case_id"].tolist() == ["C1"]
    assert set(result.errors["field"]) == {"case_id"}
    assert result.errors["reason_en"].str.startswith("not a valid id").all()
