"""The model card renders in headless Chromium with every section and every image."""

from __future__ import annotations

from utils.browser import browser

from risk.cli import main
from risk.report import SECTIONS


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
        widths = page.eval_on_selector_all("img", "imgs => imgs.map(i => i.naturalWidth)")
        assert len(widths) >= 4 and all(w > 100 for w in widths)
        assert "Model card" in page.title()
