"""docs/contract.md is the rendering of the field table, kept current."""

from pathlib import Path

from risk.contract_doc import contract_markdown
from risk.schema import all_fields

DOC = Path(__file__).resolve().parents[1] / "docs" / "contract.md"


def test_contract_doc_is_current() -> None:
    assert DOC.read_text(encoding="utf-8") == contract_markdown(), (
        "docs/contract.md is stale: run `risk contract --out docs/contract.md`"
    )


def test_contract_doc_lists_every_field_and_value() -> None:
    text = contract_markdown()
    for _, f in all_fields():
        assert f"| {f.name} | {f.zh} |" in text
        for choice in f.choices:
            assert f"{choice.code} {choice.zh}" in text
