"""Headless Chromium for tests: Debian's chromium driven by Playwright.

A missing browser skips the test with a reason, except in CI (``RISK_REQUIRE_BROWSER=1``),
where it is an error.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else shutil.which("chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def need_browser() -> None:
    missing = None
    if CHROMIUM is None:
        missing = "chromium is not installed (apt-get install -y chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            missing = "the playwright package is not installed (pip install -e '.[dev]')"
    if missing is None:
        return
    if os.environ.get("RISK_REQUIRE_BROWSER"):
        pytest.fail(f"RISK_REQUIRE_BROWSER is set but {missing}")
    pytest.skip(missing)


@contextmanager
def browser() -> Iterator[Any]:
    """A launched headless Chromium (Playwright ``Browser``)."""
    need_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield launched
        finally:
            launched.close()
