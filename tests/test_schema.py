"""The contract in code agrees with the contract document, and its aliases are unambiguous."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from risk.readers import normalize_token
from risk.schema import (
    CASE,
    FALSE_WORDS,
    HOUSEHOLD_SURVEY,
    RECORD_KINDS,
    TRUE_WORDS,
    Field,
    all_fields,
    record_kind,
)

CONTRACT_DOC = Path(__file__).resolve().parents[1].parent / "shared" / "DATA_CONTRACT.md"


def _doc_tables() -> dict[str, list[list[str]]]:
    """The contract document's field tables, by record kind (outcome fields join ``case``)."""
    if not CONTRACT_DOC.exists():
        pytest.skip(f"the shared contract document is not beside the repo ({CONTRACT_DOC.name})")
    tables: dict[str, list[list[str]]] = {}
    current = None
    for line in CONTRACT_DOC.read_text(encoding="utf-8").splitlines():
        heading = re.match(r"## (\w+) —", line)
        if heading:
            current = heading.group(1)
        elif line.startswith("Training-only fields"):
            current = "case_training"
        elif current and line.startswith("| ") and not line.startswith(("| field", "|---")):
            tables.setdefault(current, []).append([c.strip() for c in line.strip("|").split("|")])
    return tables


def _doc_rows() -> list[tuple[str, list[str]]]:
    tables = _doc_tables()
    return [(kind, row) for kind, rows in tables.items() for row in rows]


def test_schema_has_every_documented_field_and_nothing_else() -> None:
    tables = _doc_tables()
    assert [r[0] for r in tables["household_survey"]] == HOUSEHOLD_SURVEY.names
    assert [r[0] for r in tables["case"] + tables["case_training"]] == CASE.names


@pytest.mark.parametrize(
    "kind_name,row",
    _doc_rows() if CONTRACT_DOC.exists() else [],
    ids=lambda v: v[0] if isinstance(v, list) else v,
)
def test_field_matches_contract_document(kind_name: str, row: list[str]) -> None:
    kind = CASE if kind_name.startswith("case") else HOUSEHOLD_SURVEY
    f = kind[row[0]]
    assert f.zh == row[1]
    if kind_name == "case_training":
        assert f.training_only and not f.model_input
        doc_type, values = row[2], row[3]
    else:
        doc_type, required, values = row[2], row[3], row[4]
        assert f.required == (required == "yes")
    assert f.kind == doc_type
    if f.kind == "int":
        low, high = re.match(r"(\d+)–([\d,]+)", values).groups()  # type: ignore[union-attr]
        assert (f.low, f.high) == (int(low), int(high.replace(",", "")))
    if f.kind == "enum":
        listed = re.sub(r"\s*\(.*?\)", "", values).split(":")[0]
        documented = [tuple(v.strip().split(" ", 1)) for v in listed.split(", ")]
        assert [(c.code, c.zh) for c in f.choices] == [(d[0], d[1]) for d in documented]


@pytest.mark.parametrize("kind,f", list(all_fields()), ids=lambda v: getattr(v, "name", None))
def test_every_spelling_names_one_value(kind: object, f: Field) -> None:
    seen: dict[str, str] = {}
    for choice in f.choices:
        for spelling in choice.spellings():
            token = normalize_token(spelling)
            assert seen.setdefault(token, choice.code) == choice.code, (f.name, spelling)


def test_every_field_has_labels_in_both_languages() -> None:
    for _, f in all_fields():
        assert f.zh and f.en
        assert all(c.zh and c.en for c in f.choices)


def test_yes_and_no_spellings_do_not_overlap() -> None:
    assert not set(TRUE_WORDS) & set(FALSE_WORDS)


def test_assessed_tier_is_never_a_model_input() -> None:
    assert not CASE["assessed_tier"].model_input
    assert "outcome" not in [f.name for f in CASE.scoring_fields()]


@pytest.mark.parametrize("name", ["cases", "case", "households", "household_survey"])
def test_record_kind_accepts_cli_and_contract_names(name: str) -> None:
    assert record_kind(name) in RECORD_KINDS.values()


def test_record_kind_names_the_bad_value() -> None:
    with pytest.raises(KeyError, match="'visits'"):
        record_kind("visits")
