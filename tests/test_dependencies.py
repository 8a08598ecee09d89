"""The declared dependencies are the ones used: each is imported (or used otherwise, where
a test finds the use), every third-party import is declared, each is the project its name
claims (its installed metadata names that project's repository), and every one has a
single ``>=`` lower bound (the bounds ``.ci/lower-bounds`` installs and tests)."""

from __future__ import annotations

import ast
import importlib.metadata
import importlib.util
import re
import sys
import tomllib
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("risk", "service", "tests", "benchmarks")
#: Declared, but not imported under their own name: the file (in this repository, or
#: ``module:`` in an installed package) and the text there that uses each.
USED_OTHERWISE = {
    # Starlette's parser of the pages' forms (service/deps.py: request.form())
    "python-multipart": ("module:starlette.formparsers", "import python_multipart"),
    # the kernel nbclient runs the notebooks in
    "ipykernel": ("tests/test_notebooks.py", 'kernel_name="python3"'),
    "ruff": (".ci/run", "ruff check"),
    "mypy": (".ci/run", "\nmypy"),
    # the pandas and PyYAML types for that mypy run
    "pandas-stubs": (".ci/run", "\nmypy"),
    "types-pyyaml": (".ci/run", "\nmypy"),
}
#: The repository each declared distribution's metadata must name: the project, not a
#: look-alike (either spelling where the project moved between the floor and today).
PROJECTS = {
    "numpy": ("numpy/numpy",),
    "pandas": ("pandas-dev/pandas",),
    "pyarrow": ("apache/arrow",),
    "pandera": ("pandera-dev/pandera",),
    "openpyxl": ("openpyxl/openpyxl",),
    "pyyaml": ("yaml/pyyaml",),
    "typer": ("fastapi/typer",),
    "rich": ("Textualize/rich",),
    "pydantic": ("pydantic/pydantic",),
    "mlflow": ("mlflow/mlflow",),
    "matplotlib": ("matplotlib/matplotlib",),
    "fastapi": ("fastapi/fastapi",),
    "fastapi-offline": ("turettn/fastapi_offline",),
    "fairlearn": ("fairlearn/fairlearn",),
    "starlette": ("Kludex/starlette", "encode/starlette"),
    "anyio": ("agronholm/anyio",),
    "uvicorn": ("Kludex/uvicorn", "encode/uvicorn"),
    "sqlalchemy": ("sqlalchemy/sqlalchemy",),
    "alembic": ("sqlalchemy/alembic",),
    "psycopg": ("psycopg/psycopg",),
    "pydantic-settings": ("pydantic/pydantic-settings",),
    "prometheus-client": ("prometheus/client_python",),
    "jinja2": ("pallets/jinja",),
    "python-multipart": ("Kludex/python-multipart", "andrew-d/python-multipart"),
    "interpret-core": ("interpretml/interpret",),
    "scikit-learn": ("scikit-learn/scikit-learn",),
    "joblib": ("joblib/joblib",),
    "threadpoolctl": ("joblib/threadpoolctl",),
    "pytest": ("pytest-dev/pytest",),
    "hypothesis": ("HypothesisWorks/hypothesis",),
    "ruff": ("astral-sh/ruff",),
    "mypy": ("python/mypy",),
    "pandas-stubs": ("pandas-dev/pandas-stubs",),
    "types-pyyaml": ("python/typeshed",),
    "psutil": ("giampaolo/psutil",),
    "httpx2": ("pydantic/httpx2",),
    "scipy": ("scipy/scipy",),
    "lightgbm": ("lightgbm-org/LightGBM", "microsoft/LightGBM"),
    "aiohttp": ("aio-libs/aiohttp",),
    "nbclient": ("jupyter/nbclient",),
    "nbformat": ("jupyter/nbformat",),
    "ipykernel": ("ipython/ipykernel",),
    "playwright": ("microsoft/playwright-python",),
    "schemathesis": ("schemathesis/schemathesis",),
    "pyspark": ("apache/spark",),
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
    """The distributions that install ``module``; one not installed here (an extra left
    out, as pyspark at the floors) is taken to be the distribution of its own name."""
    found = _installed().get(PINNED_BY.get(module, module))
    return {_name(d) for d in found} if found else {_name(module)}


def test_every_third_party_import_is_declared():
    undeclared = {
        module: where
        for module, where in imported().items()
        if not _distributions(module) & declared().keys()
    }
    assert not undeclared, f"imported but not declared in pyproject.toml: {undeclared}"


def _used_by_import() -> set[str]:
    return {d for module in imported() for d in _distributions(module)}


def test_every_declared_dependency_is_used():
    unused = sorted(set(declared()) - _used_by_import() - set(USED_OTHERWISE))
    assert not unused, f"declared in pyproject.toml but never imported: {unused}"


def _source(where: str) -> str:
    if where.startswith("module:"):
        spec = importlib.util.find_spec(where.removeprefix("module:"))
        assert spec is not None and spec.origin, where
        return Path(spec.origin).read_text("utf-8")
    return (ROOT / where).read_text("utf-8")


@pytest.mark.parametrize("name", sorted(USED_OTHERWISE))
def test_a_dependency_used_otherwise_is_used_where_it_says(name):
    where, needle = USED_OTHERWISE[name]
    assert name in declared(), f"{name}: listed as used otherwise, but not declared"
    assert name not in _used_by_import(), f"{name} is imported: it needs no entry here"
    assert needle in _source(where), f"{name}: {needle!r} is not in {where} any more"


def test_starlettes_test_client_runs_on_httpx2():
    """Why httpx2 (not httpx) is declared: the TestClient imports it first, and warns
    (an error under these tests) when only httpx is there."""
    source = _source("module:starlette.testclient")
    assert "import httpx2" in source and "httpx" not in declared()


def test_every_declared_dependency_is_the_project_its_name_claims():
    assert set(declared()) == set(PROJECTS), "a declared distribution needs its repository"
    for name, repositories in PROJECTS.items():
        try:
            metadata = importlib.metadata.metadata(name)
        except importlib.metadata.PackageNotFoundError:
            continue  # an extra not installed here (pyspark at the floors)
        urls = " ".join([metadata.get("Home-page") or "", *(metadata.get_all("Project-URL") or [])])
        assert any(r.lower() in urls.lower() for r in repositories), f"{name}: {urls}"


def test_every_dependency_has_one_lower_bound():
    unbounded = [r for r in declared().values() if not re.search(r">=[0-9][^,;]*$", r)]
    assert not unbounded, f"without a single '>=' lower bound: {unbounded}"
