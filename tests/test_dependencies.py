"""The declared dependencies are the ones used: each is imported (or used otherwise, said
why), every third-party import is declared, and every one has a single ``>=`` lower bound
(the bounds ``.ci/lower-bounds`` installs and tests)."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("risk", "service", "tests", "benchmarks")
#: Declared, but not imported under their own name: how each is used.
USED_OTHERWISE = {
    "openpyxl": "pandas.read_excel(engine='openpyxl') in risk/readers.py",
    "python-multipart": "Starlette's parser of the pages' forms",
    "ipykernel": "the kernel nbclient runs the notebooks in",
    "mapie": "pytest.importorskip('mapie.classification') in tests/models/test_conformal.py",
    "ruff": "lint in .ci/run",
    "mypy": "type check in .ci/run",
    "pandas-stubs": "pandas types for mypy",
    "types-pyyaml": "PyYAML types for mypy",
    "lightgbm": "the LightGBM peer of benchmarks/model_quality.py (issue 14)",
}
#: Imported, and installed by a declared dependency that pins it exactly.
PINNED_BY = {"pydantic_core": "pydantic"}


def _name(requirement: str) -> str:
    name = re.split(r"[\[<>=!~;\s]", requirement, maxsplit=1)[0]
    return re.sub(r"[-_.]+", "-", name).lower()


@cache
def declared() -> dict[str, str]:
    """Every declared requirement (runtime and extras), by normalised distribution name."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    everything = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        everything += extra
    return {_name(r): r for r in everything}


@cache
def imported() -> dict[str, str]:
    """Top-level third-party modules imported by the sources → one file importing each."""
    local = {p.stem for folder in ("tests", "benchmarks") for p in (ROOT / folder).rglob("*.py")}
    local |= {"risk", "service", "utils", *sys.stdlib_module_names}
    found: dict[str, str] = {}
    for folder in SOURCES:
        for path in sorted((ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text("utf-8"))):
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    top = name.split(".")[0]
                    if top not in local:
                        found.setdefault(top, str(path.relative_to(ROOT)))
    return found


@cache
def _installed() -> dict[str, list[str]]:
    return importlib.metadata.packages_distributions()


def _distributions(module: str) -> set[str]:
    return {_name(d) for d in _installed().get(PINNED_BY.get(module, module), [])}


def test_every_third_party_import_is_declared():
    undeclared = {
        module: where
        for module, where in imported().items()
        if not _distributions(module) & declared().keys()
    }
    assert not undeclared, f"imported but not declared in pyproject.toml: {undeclared}"


def test_every_declared_dependency_is_used():
    used = {d for module in imported() for d in _distributions(module)}
    unused = sorted(set(declared()) - used - set(USED_OTHERWISE))
    assert not unused, f"declared in pyproject.toml but never imported: {unused}"


def test_every_dependency_has_one_lower_bound():
    unbounded = [r for r in declared().values() if not re.search(r">=[0-9][^,;]*$", r)]
    assert not unbounded, f"without a single '>=' lower bound: {unbounded}"
