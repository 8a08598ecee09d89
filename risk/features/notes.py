"""Red-flag phrases in the Chinese case notes (案情摘要).

Notes often say what the structured fields miss ("男方曾持刀威胁"), so each phrase group
becomes a flag feature. Matching is by regular expression over the raw text, not by
tokens: the phrases are short fixed expressions, and a negated mention ("未持刀",
"没有扬言") is consumed by a negation alternative placed first, so it does not count.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

__all__ = ["NOTE_PHRASES", "note_flags", "note_flags_one"]

#: phrase group → (zh label, en label, pattern)
NOTE_PHRASES: dict[str, tuple[str, str, str]] = {
    "note_weapon": (
        "案情提及持械",
        "notes mention a weapon",
        r"持刀|拿刀|菜刀|刀具|动刀|持械|棍棒|拿棍|枪",
    ),
    "note_kill_threat": (
        "案情提及扬言杀人",
        "notes mention a threat to kill",
        r"扬言.{0,4}杀|要杀了|杀了你|弄死|同归于尽",
    ),
    "note_strangulation": (
        "案情提及掐脖",
        "notes mention strangulation",
        r"掐脖|掐住脖|勒脖|掐.{0,2}脖子",
    ),
    "note_suicide": ("案情提及轻生", "notes mention suicide", r"轻生|想不开|自杀|寻死|不想活"),
    "note_alcohol": ("案情提及酗酒", "notes mention drinking", r"酗酒|喝醉|醉酒|酒后|喝酒"),
    "note_gambling": ("案情提及赌博", "notes mention gambling", r"赌博|赌钱|输钱|欠赌债"),
    "note_pregnancy": ("案情提及怀孕", "notes mention pregnancy", r"怀孕|孕期|有孕"),
    "note_separation": (
        "案情提及分居离婚",
        "notes mention separation",
        r"分居|闹离婚|提出离婚|要离婚",
    ),
    "note_child_present": (
        "案情提及孩子在场",
        "notes mention a child present",
        r"孩子在场|当着孩子|孩子目睹|儿童目睹",
    ),
    "note_repeat_police": (
        "案情提及多次报警",
        "notes mention repeated police calls",
        r"多次报警|反复报警|屡次报警|又报警",
    ),
    "note_injury": ("案情提及受伤", "notes mention injury", r"受伤|流血|骨折|住院|伤情"),
}

_NEGATION = r"(?:未|没有|没|无|并未|否认)"
_ANY = "|".join(f"(?:{pattern})" for _, _, pattern in NOTE_PHRASES.values())
_REGEX = re.compile(
    f"(?P<negated>{_NEGATION}(?:{_ANY}))|"
    + "|".join(f"(?P<{name}>{pattern})" for name, (_, _, pattern) in NOTE_PHRASES.items())
)


def note_flags_one(note: object) -> dict[str, float]:
    """The phrase flags of one note: 1.0 mentioned, 0.0 not mentioned, NaN when there is no note."""
    if not isinstance(note, str) or not note.strip():
        return dict.fromkeys(NOTE_PHRASES, np.nan)
    found = _mentions(note)
    return {name: float(name in found) for name in NOTE_PHRASES}


def note_flags(notes: pd.Series) -> np.ndarray:
    """The phrase flags of many notes, one column per phrase group (in NOTE_PHRASES order)."""
    out = np.full((len(notes), len(NOTE_PHRASES)), np.nan)
    values = notes.astype(object).where(notes.notna(), None).to_numpy()
    present = np.flatnonzero([isinstance(v, str) and bool(v.strip()) for v in values])
    names = list(NOTE_PHRASES)
    for i in present:
        found = _mentions(values[i])
        out[i] = [name in found for name in names]
    return out


def _mentions(note: str) -> set[str | None]:
    return {m.lastgroup for m in _REGEX.finditer(note)}
