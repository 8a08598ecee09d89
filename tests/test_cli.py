"""The ``risk`` command: exit codes, reports in both languages, files written."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest
from utils.broken_files import BROKEN
from utils.builders import case_row, household_row, rows_frame

from risk.cli import main
from risk.schema import CASE


def _county_csv(path: Path, broken: dict[int, tuple[str, str]]) -> None:
    """Ten cases, Chinese headers, GB18030; ``broken`` maps a row index to (field, value)."""
    rows = []
    for i in range(10):
        row = case_row(
            case_id=f"C{i:03d}",
            opened_at=f"2024/3/{i + 1}",
            outcome_at=f"2024年4月{i + 1}日",
            dispute_type="邻里纠纷",
            counterpart="邻居",
            threats="否",
            weapon="刀具",
        )
        if i in broken:
            name, value = broken[i]
            row[name] = value
        rows.append({CASE[k].zh: v for k, v in row.items()})
    pd.DataFrame(rows).to_csv(path, index=False, encoding="gb18030")


def test_validate_accepts_a_clean_ledger(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "cases.csv"
    _county_csv(path, {})
    assert main(["validate", str(path), "--kind", "cases"]) == 0
    printed = capsys.readouterr().out
    assert "读取 10 行：写入 10 行，隔离 0 行" in printed and "read 10 rows: 10 written" in printed


def test_ingest_quarantines_exactly_the_broken_rows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "县台账.csv"
    _county_csv(source, {2: ("threats", "可能"), 5: ("parties", "1"), 7: ("opened_at", "3月5日")})
    out = tmp_path / "cases.parquet"
    assert main(["ingest", str(source), "--kind", "cases", "--out", str(out)]) == 1
    printed = capsys.readouterr().out
    for row, field, value in [
        (4, "threats", "可能"),
        (7, "parties", "1"),
        (9, "opened_at", "3月5日"),
    ]:
        assert f"{row}" in printed and field in printed and value in printed
    assert "不是是/否" in printed and "not yes/no" in printed
    assert pd.read_parquet(out)["case_id"].tolist() == [f"C{i:03d}" for i in (0, 1, 3, 4, 6, 8, 9)]
    quarantine = pd.read_csv(tmp_path / "cases.quarantine.csv", dtype=str, encoding="utf-8-sig")
    assert quarantine["_row"].tolist() == ["4", "7", "9"]
    assert quarantine["案件编号"].tolist() == ["C002", "C005", "C007"]


def test_ingest_allow_partial_exits_zero_and_writes_errors(tmp_path: Path) -> None:
    source = tmp_path / "cases.csv"
    _county_csv(source, {0: ("parties", "abc")})
    errors = tmp_path / "errors.csv"
    code = main(
        [
            "ingest",
            str(source),
            "-k",
            "cases",
            "-o",
            str(tmp_path / "c.parquet"),
            "--allow-partial",
            "--errors",
            str(errors),
            "--quarantine",
            str(tmp_path / "q.parquet"),
        ]
    )
    assert code == 0
    assert pd.read_csv(errors, dtype=str)[["row", "field", "value"]].values.tolist() == [
        ["2", "parties", "abc"]
    ]
    assert len(pd.read_parquet(tmp_path / "q.parquet")) == 1


def test_validate_reads_excel_with_a_mapping(tmp_path: Path) -> None:
    row = household_row()
    row["户号"] = row.pop("household_id")
    path = tmp_path / "households.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame([{"说明": "县里的封面"}]).to_excel(writer, sheet_name="封面", index=False)
        rows_frame([row]).to_excel(writer, sheet_name="入户调查", index=False)
    mapping = tmp_path / "county.yaml"
    mapping.write_text("columns:\n  户号: household_id\n", encoding="utf-8")
    assert (
        main(
            [
                "validate",
                str(path),
                "-k",
                "households",
                "--sheet",
                "入户调查",
                "--mapping",
                str(mapping),
            ]
        )
        == 0
    )


def test_missing_required_column_exits_two_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "households.csv"
    rows_frame([{k: v for k, v in household_row().items() if k != "area"}]).to_csv(
        path, index=False
    )
    assert main(["validate", str(path), "--kind", "households"]) == 2
    assert "area (城乡)" in capsys.readouterr().err


def test_contract_writes_markdown(tmp_path: Path) -> None:
    out = tmp_path / "contract.md"
    assert main(["contract", "--out", str(out)]) == 0
    assert "| case_id | 案件编号 |" in out.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_ingest_refuses_an_unreadable_file_with_exit_2_and_no_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    make, says = BROKEN[name]
    source = tmp_path / name
    source.write_bytes(make())
    out = tmp_path / "cases.parquet"
    assert main(["ingest", str(source), "--kind", "cases", "--out", str(out)]) == 2
    printed = " ".join(capsys.readouterr().err.split())  # rich wraps long lines
    assert name in printed and says in printed and "Traceback" not in printed
    assert not out.exists()


def test_ingest_and_the_api_take_one_date_range(tmp_path: Path) -> None:
    source = tmp_path / "cases.csv"
    rows = [
        case_row(case_id=f"C{i}", opened_at=day, outcome_at=day)
        for i, day in enumerate(
            ["1800-01-01", "1969-12-31", "1970-01-01", "2199-12-31", "2200-01-01"]
        )
    ]
    rows_frame(rows).to_csv(source, index=False)
    out = tmp_path / "cases.parquet"
    assert (
        main(["ingest", str(source), "--kind", "cases", "--out", str(out), "--allow-partial"]) == 0
    )
    assert pd.read_parquet(out)["case_id"].tolist() == ["C2", "C3"]
    quarantine = pd.read_csv(tmp_path / "cases.quarantine.csv", dtype=str, encoding="utf-8-sig")
    assert quarantine["_reason_en"].str.contains("outside 1970-01-01–2199-12-31").all()


def test_files_written_for_spreadsheets_hold_no_live_formula(tmp_path: Path) -> None:
    """OWASP's CSV-injection rule: the quarantine and the error list start no cell with = + - @."""
    source = tmp_path / "cases.csv"
    ids = ["=1+1", "+SUM(1,2)", "@SUM(A1)", "-2+3", "\tx", "-3"]
    rows = [case_row(case_id=f"C{i}", household_id=v, parties="x") for i, v in enumerate(ids)]
    rows_frame(rows).assign(**{"=HYPERLINK(1)": "x"}).to_csv(source, index=False)
    out, errors = tmp_path / "cases.parquet", tmp_path / "errors.csv"
    main(["ingest", str(source), "--kind", "cases", "--out", str(out), "--errors", str(errors)])
    for written in (tmp_path / "cases.quarantine.csv", errors):
        frame = pd.read_csv(written, dtype=str, encoding="utf-8-sig", keep_default_na=False)
        cells = [*frame.columns, *frame.to_numpy().ravel()]
        live = [c for c in cells if c[:1] in "=+-@\t\r" and c != "-3"]
        assert live == [], written.name
    quarantine = pd.read_csv(tmp_path / "cases.quarantine.csv", dtype=str, encoding="utf-8-sig")
    assert quarantine["household_id"].tolist() == [
        "'=1+1",
        "'+SUM(1,2)",
        "'@SUM(A1)",
        "'-2+3",
        "'\tx",
        "-3",
    ]


def test_a_table_wraps_long_cells_and_cuts_nothing_at_80_columns() -> None:
    """A pipe or a narrow terminal is 80 columns: every character still reaches it."""
    from rich.console import Console

    from risk.cli import Col, Rows, print_rows

    long_id = "县-" + "长" * 30 + "-0123456789-abcdefghij-klmnopqrstuvwxyz"
    rows = Rows([Col("household_id", "户编号 household id"), Col("note")], [[long_id, "x" * 150]])
    screen = io.StringIO()
    print_rows(rows, console=Console(file=screen, width=80))
    text = screen.getvalue()
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "…" not in text
    body = [line.split("│") for line in text.splitlines() if line.count("│") == 3]
    assert "".join(cells[1].strip() for cells in body) == long_id
    assert "".join(cells[2].strip() for cells in body) == "x" * 150


def test_tables_print_as_json_and_csv_for_scripts(capsys: pytest.CaptureFixture[str]) -> None:
    from risk.cli import Col, OutputFormat, Rows, print_rows

    columns = [Col("metric"), Col("model", show=lambda v: f"{v:.4f}")]
    intake = Rows(columns, [["auroc_red", 0.81234567]], title="案件受理", name="intake")
    screening = Rows(columns, [["auroc_red", None]], name="screening")
    print_rows(intake, screening, fmt=OutputFormat.json)
    assert json.loads(capsys.readouterr().out) == {
        "intake": [{"metric": "auroc_red", "model": 0.81234567}],
        "screening": [{"metric": "auroc_red", "model": None}],
    }
    print_rows(intake, screening, fmt=OutputFormat.csv)
    assert capsys.readouterr().out.splitlines() == [
        "table,metric,model",
        "intake,auroc_red,0.81234567",
        "screening,auroc_red,",
    ]
    print_rows(intake, fmt=OutputFormat.csv)
    assert capsys.readouterr().out.splitlines() == ["metric,model", "auroc_red,0.81234567"]
