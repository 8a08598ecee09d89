"""Print pip constraints pinning every ``name>=X`` of pyproject.toml to ``name==X.*``.

The dependencies (and the extras named as arguments) at their declared lower bounds: the
oldest series each admits, at its newest patch. ``.ci/lower-bounds`` installs them together
and runs the tests, so a bound that no longer works fails there.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

BOUND = re.compile(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?>=([0-9][^,;\s]*)$")


def constraints(pyproject: Path, extras: list[str]) -> list[str]:
    project = tomllib.loads(pyproject.read_text("utf-8"))["project"]
    wanted = list(project["dependencies"])
    for extra in extras:
        wanted += project["optional-dependencies"][extra]
    pins = []
    for requirement in wanted:
        match = BOUND.match(requirement)
        if match is None:
            raise SystemExit(f"{pyproject}: {requirement!r} has no single '>=' lower bound")
        pins.append(f"{match[1]}=={match[2]}.*")
    return pins


if __name__ == "__main__":
    root = Path(__file__).resolve().parents[1]
    print("\n".join(constraints(root / "pyproject.toml", sys.argv[1:])))
