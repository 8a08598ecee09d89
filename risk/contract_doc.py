"""The data contract as Markdown, rendered from the field table (``docs/contract.md``)."""

from __future__ import annotations

from risk.schema import RECORD_KINDS, Field, RecordKind

__all__ = ["contract_markdown"]

_HEADER = """\
# Data contract (generated)

Rendered by `risk contract --out docs/contract.md` from `risk/schema.py`, the one table
that ingest, validation, the API models and this page derive from; a test keeps it current.
Ingest accepts the 中文 header as an alias of each field and any spelling listed under
values (the code, the Chinese label, its parts split at `/`, and the aliases) for each value.
Booleans read 是/否, 有/无, Y/N, 1/0, true/false; dates read 2024-03-05, 2024/3/5,
2024年3月5日 and Excel date cells.
"""


def contract_markdown() -> str:
    """The whole contract: one table per record kind."""
    parts = [_HEADER]
    for kind in RECORD_KINDS.values():
        parts.append(_kind_markdown(kind))
    return "\n".join(parts)


def _kind_markdown(kind: RecordKind) -> str:
    lines = [
        f"## {kind.name} — {kind.zh} ({kind.unit_note}; key: {', '.join(kind.key)})",
        "",
        "| field | 中文 | label | type | required | values |",
        "|---|---|---|---|---|---|",
    ]
    for f in kind:
        required = "yes" if f.required else ("training only" if f.training_only else "no")
        lines.append(f"| {f.name} | {f.zh} | {f.en} | {f.kind} | {required} | {_values(f)} |")
    return "\n".join(lines) + "\n"


def _values(f: Field) -> str:
    if f.choices:
        text = ", ".join(
            f"{c.code} {c.zh}" + (f" (also {'/'.join(c.aliases)})" if c.aliases else "")
            for c in f.choices
        )
    elif f.low is not None:
        text = f"{f.low}–{f.high}"
    elif f.max_length:
        text = f"≤ {f.max_length:,} characters"
    else:
        text = ""
    if f.note:
        text = f"{text}; {f.note}" if text else f.note
    return text
