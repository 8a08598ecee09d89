"""Shifted populations: the same generating process with some of its magnitudes moved.

A model is trained on one population and then meets another, as a tool moved to a new
county does (ODARA's norms over-predicted in New York and Saskatchewan). Each shift names
the parameters of :mod:`risk.synth.params` it changes; :func:`shifted` applies them for the
duration of a ``with`` block (generation reads the parameters when it runs). Its ids carry
the shift's prefix, so its households, cases and grids never collide with the first's.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from risk.synth import params as P

__all__ = ["SHIFTS", "shifted"]

#: Each shift: the parameters it sets (docs/synthetic-data.md explains them).
SHIFTS: dict[str, dict[str, Any]] = {
    # A more rural county, with more heavy drinking, police notes often left blank, and
    # more risk than its records show: more new cases and more serious harm for the same
    # recorded answers (a shift of the outcome given the inputs, which calibration sees).
    "rural": {
        "ID_PREFIX": "R",
        "GRID_RURAL_SHARE": 0.9,
        "ALCOHOL_CUTS": (1.05, 1.6),
        "NOTES_MISSING_BY_SOURCE": {"police": 3.5},
        "RATE_INTERCEPT": P.RATE_INTERCEPT + 0.35,
        "OUTCOME_SERIOUS": tuple(v + 0.8 for v in P.OUTCOME_SERIOUS),
    },
}


@contextmanager
def shifted(name: str | None) -> Iterator[None]:
    """Generate inside the block with shift ``name``'s parameters (None: no shift)."""
    if name is None:
        yield
        return
    if name not in SHIFTS:
        raise ValueError(f"shift: expected one of {', '.join(SHIFTS)}, got {name!r}")
    before = {key: getattr(P, key) for key in SHIFTS[name]}
    for key, value in SHIFTS[name].items():
        setattr(P, key, value)
    try:
        yield
    finally:
        for key, value in before.items():
            setattr(P, key, value)
