"""The model card renders in headless Chromium with every section and every image; its
subgroup section reads insufficient evidence or a figure with its interval."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from utils.browser import browser

from risk.cli import main
from risk.fairness import FIGURES, audit
from risk.report import SECTIONS, subgroup_note, subgroup_tables, templates


def test_report_renders_with_sections_and_images(served_ledger, tmp_path):
    uri, data = served_ledger
    out = tmp_path / "report.html"
    code = main(
        [
            "report",
            "--model",
            "models:/risk-triage@champion",
            "--data",
            str(data),
            "--out",
            str(out),
            "--tracking-uri",
            uri,
        ]
    )
    assert code == 0 and out.exists()
    html = out.read_text("utf-8")
    assert "checklist" in html and "logistic" in html and "http" not in html.split("<body>")[1]
    with browser() as chromium:
        page = chromium.new_page()
        page.goto(out.as_uri())
        for section in SECTIONS:
            assert page.locator(f"section#{section} h2").count() == 1, section
        # the suite's ledger has no subgroup with 500 units and 20 red outcomes
        subgroups = page.locator("section#subgroups").inner_text()
        assert "证据不足 / insufficient evidence" in subgroups and "已测量" not in subgroups
        widths = page.eval_on_selector_all("img", "imgs => imgs.map(i => i.naturalWidth)")
        assert len(widths) >= 4 and all(w > 100 for w in widths)
        assert "Model card" in page.title()


def _card_subgroups(table: pd.DataFrame) -> dict[str, str]:
    """The card's subgroup section rendered from ``table``: each row's text by subgroup."""
    html = (
        templates()
        .get_template("_subgroups.html.j2")
        .render(
            subgroups=subgroup_tables(table),
            subgroup_figures=[("", m) for m in FIGURES],
            subgroup_note=subgroup_note(),
            images={},
        )
    )
    rows = re.findall(r"<tr class=\"(?:measured|insufficient_evidence)\">(.*?)</tr>", html, re.S)
    text = [re.sub(r"<[^>]+>", " ", row) for row in rows]
    return {t.split("=")[1].split()[0]: t for t in text}


def test_card_subgroups_read_insufficient_evidence_and_intervals_hold_the_figure():
    rng = np.random.default_rng(0)
    n = 4000
    p_red = rng.uniform(0.0, 0.3, n)
    y = np.where(rng.random(n) < p_red, "red", "green")
    proba = np.column_stack([1 - p_red, np.zeros(n), p_red])
    tiers = np.where(p_red > 0.2, "red", "green")
    area = np.where(np.arange(n) < 30, "tiny", rng.choice(["a", "b"], n))
    table = audit(
        pd.DataFrame({"area": area}),
        y,
        proba,
        tiers,
        n_boot=50,
        minimums=(500, 20),
        intervals="measured",
    )
    table.insert(0, "decision", "screening")
    rows = _card_subgroups(table)
    assert set(rows) == {"a", "b", "tiny"}
    assert "证据不足 / insufficient evidence" in rows["tiny"] and "[" not in rows["tiny"]
    for value in ("a", "b"):
        assert "已测量 / measured" in rows[value]
        intervals = re.findall(
            r"([-+]?\d\.\d{4}) \[([-+]?\d\.\d{4}), ([-+]?\d\.\d{4})\]", rows[value]
        )
        assert len(intervals) == 2 * len(FIGURES)  # each figure and each gap
        for point, low, high in intervals:
            assert float(low) <= float(point) <= float(high)
