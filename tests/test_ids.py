"""The one id syntax: what can be stored can be read back by its URL and looks like itself."""

from __future__ import annotations

import unicodedata

import pytest

from risk.ids import id_ok


@pytest.mark.parametrize("good", ["C-001", "H1", "网格3", "a b", "A.B", "x..y"])
def test_well_formed_ids_pass(good: str) -> None:
    assert id_ok(good)


@pytest.mark.parametrize(
    "bad",
    ["a/b", "a\\b", ".", "..", " H1", "H1 ", "H\x00", "H\n1", "H\u200b1", "\ufeffH1", "H\u202e1",
     unicodedata.normalize("NFD", "é"), ""],
    ids=["slash", "backslash", "dot", "dotdot", "lead-space", "trail-space", "nul", "newline",
         "zero-width", "bom", "bidi", "nfd", "empty"],
)  # fmt: skip
def test_malformed_ids_fail(bad: str) -> None:
    assert not id_ok(bad)
