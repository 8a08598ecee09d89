"""Hypothesis strategies derived from the contract table (``risk.schema``).

One module serves every property: contract-valid values, records and scoring units (the
one-unit input of ``TriageModel.predict_record``), and messy cells as ledgers arrive.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import strategies as st

from risk.features.history import HISTORY_COLUMNS
from risk.schema import CASE, FALSE_WORDS, HOUSEHOLD_SURVEY, TRUE_WORDS, Field, RecordKind

FIRST_DAY, LAST_DAY = dt.date(2015, 1, 1), dt.date(2030, 12, 31)
#: Words a case worker writes in the notes, including every phrase the model looks for.
NOTE_WORDS = ("双方争吵", "男方酒后持刀", "扬言要杀了她", "掐住脖子", "未持刀", "邻里噪音", "")
#: Largest value of each ledger-history column drawn (counts, or days for the ``days_`` ones).
HISTORY_HIGH = {name: 3650 if "days" in name else 12 for name in HISTORY_COLUMNS}


def value(f: Field) -> st.SearchStrategy[Any]:
    """Any value the contract allows for ``f``, as a contract code (never missing)."""
    if f.kind == "int":
        return st.integers(f.low if f.low is not None else 0, f.high if f.high is not None else 100)
    if f.kind == "bool":
        return st.booleans()
    if f.kind == "enum":
        return st.sampled_from(f.codes)
    if f.kind == "date":
        return st.dates(FIRST_DAY, LAST_DAY).map(dt.date.isoformat)
    if f.name == "notes":
        return st.lists(st.sampled_from(NOTE_WORDS), max_size=4).map("，".join)
    return st.text("ABCDEFGH0123456789-", min_size=1, max_size=f.max_length or 16)


def record(kind: RecordKind) -> st.SearchStrategy[dict[str, Any]]:
    """One contract-valid record of ``kind`` for scoring: required fields always present,
    optional ones present or missing (left out), training-only outcomes never."""
    required = {f.name: value(f) for f in kind.scoring_fields() if f.required}
    optional = {f.name: value(f) for f in kind.scoring_fields() if not f.required}
    return st.fixed_dictionaries(required, optional=optional)


@st.composite
def units(draw: st.DrawFn) -> dict[str, Any]:
    """A household as of a date: a survey, a case, both or neither, and ledger history."""
    unit: dict[str, Any] = {}
    if draw(st.booleans()):
        unit.update(draw(record(HOUSEHOLD_SURVEY)))
    if draw(st.booleans()):
        unit.update(draw(record(CASE)))
    history = {name: st.integers(0, high) for name, high in HISTORY_HIGH.items()}
    unit.update(draw(st.fixed_dictionaries({}, optional=history)))
    unit["as_of"] = draw(st.dates(FIRST_DAY, LAST_DAY)).isoformat()
    return unit


def present_fields(unit: dict[str, Any]) -> set[str]:
    """Fields a unit may carry and stay contract-valid: those of the records it has
    (a survey, a case) and the ledger history."""
    out = set(HISTORY_COLUMNS)
    for kind in (HOUSEHOLD_SURVEY, CASE):
        if all(name in unit for name in kind.required):
            out.update(f.name for f in kind.scoring_fields())
    return out


def _field(name: str) -> Field | None:
    for kind in (HOUSEHOLD_SURVEY, CASE):
        if name in kind:
            return kind[name]
    return None


def raised_pair(name: str) -> st.SearchStrategy[tuple[Any, Any]]:
    """Two valid answers to ``name``, the second higher in risk (ranges, yes over no, and
    ordered enums listed from least to most risk)."""
    f = _field(name)
    if f is None:  # a ledger-history count
        numbers = st.integers(0, HISTORY_HIGH[name])
    elif f.kind == "bool":
        return st.just((False, True))
    elif f.kind == "enum":
        if not f.ordered:
            raise ValueError(f"{name}: a nominal field has no higher answer")
        positions = st.lists(st.integers(0, len(f.codes) - 1), min_size=2, max_size=2, unique=True)
        return positions.map(sorted).map(lambda ij: (f.codes[ij[0]], f.codes[ij[1]]))
    else:
        numbers = value(f)
    return st.lists(numbers, min_size=2, max_size=2, unique=True).map(sorted).map(tuple)


# --- messy ledgers ------------------------------------------------------------------------

JUNK = st.one_of(
    st.sampled_from(["", " ", "NA", "不详", "?", "-1", "1e9", "2024-02-30", "是否", "１２"]),
    st.text(max_size=6),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.none(),
)


def spelling(f: Field) -> st.SearchStrategy[Any]:
    """A valid value for ``f`` written any way a ledger may write it."""
    if f.kind == "bool":
        return st.sampled_from([*TRUE_WORDS, *FALSE_WORDS, True, False])
    if f.kind == "enum":
        return st.sampled_from([s for c in f.choices for s in c.spellings()])
    if f.kind == "date":
        day = st.dates(FIRST_DAY, LAST_DAY)
        return st.one_of(
            day.map(dt.date.isoformat),
            day.map(lambda d: d.strftime("%Y/%m/%d")),
            day.map(lambda d: f"{d.year}年{d.month}月{d.day}日"),
        )
    if f.kind == "int":
        return value(f).flatmap(lambda n: st.sampled_from([n, str(n), f" {n} "]))
    return value(f)


def messy_cell(f: Field) -> st.SearchStrategy[Any]:
    """Mostly a valid spelling, sometimes blank or junk."""
    return st.one_of(spelling(f), spelling(f), spelling(f), JUNK)


def messy_rows(kind: RecordKind, max_rows: int = 25) -> st.SearchStrategy[list[dict[str, Any]]]:
    """Raw ledger rows: messy cells, repeated keys, every contract column present."""
    row = st.fixed_dictionaries({f.name: messy_cell(f) for f in kind})
    key = kind.key[0]
    keys = st.sampled_from([f"K{i}" for i in range(max_rows // 2 + 1)])
    return st.lists(st.tuples(row, keys), min_size=1, max_size=max_rows).map(
        lambda pairs: [{**r, key: k} for r, k in pairs]
    )


__all__ = [
    "messy_cell",
    "messy_rows",
    "present_fields",
    "raised_pair",
    "record",
    "spelling",
    "units",
    "value",
]
