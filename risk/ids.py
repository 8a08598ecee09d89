"""One syntax for every id (household, case, grid), in ingest, the API, the pages and the
keys CLI alike: text in NFC form, no whitespace at either end, no path separator (``/``,
``\\``) and not ``.`` or ``..``, no control, format (invisible: zero-width, BOM,
direction marks), surrogate, private-use or unassigned character. An id that breaks it
could be stored and then never be read back by its URL, or look like another id."""

from __future__ import annotations

import unicodedata

__all__ = ["ID_FIELDS", "id_ok"]

#: The contract's id fields.
ID_FIELDS = frozenset({"household_id", "case_id", "grid_id"})
_HIDDEN = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def id_ok(value: str) -> bool:
    """Whether ``value`` is a well-formed id (its length is the contract's business)."""
    return (
        value == value.strip()
        and value not in ("", ".", "..")
        and "/" not in value
        and "\\" not in value
        and unicodedata.normalize("NFC", value) == value
        and not any(unicodedata.category(ch) in _HIDDEN for ch in value)
    )
