"""Open the generated report in headless Chromium (Playwright driving Debian's chromium).

Checks what a reader sees: no console errors, every image decoded, the comparison table and the
verdict present. The screenshot is kept under the test's temporary output folder.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed "
                               "(pip install playwright; never 'playwright install')")
if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
    pytest.skip(f"Debian's chromium is not installed at {CHROMIUM} (apt-get install -y chromium)",
                allow_module_level=True)


def test_report_renders_in_chromium(rendered, tmp_path):
    report = rendered[1]
    problems: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("console", lambda m: problems.append(f"{m.type}: {m.text}") if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
            page.on("request", lambda r: problems.append(f"network: {r.url}")
                    if not r.url.startswith(("file:", "data:")) else None)
            page.goto(report.as_uri())
            page.wait_for_load_state("load")
            images = page.eval_on_selector_all(
                "img", "els => els.map(e => ({complete: e.complete, w: e.naturalWidth}))")
            table_rows = page.locator("#comparison-table tbody tr").count()
            verdict = page.locator("#verdict").inner_text()
            title = page.locator("h1").inner_text()
            # how far a reader scrolls before the appendix (collapsed details)
            before_appendix = page.evaluate("document.getElementById('appendix').offsetTop")
            page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        finally:
            browser.close()
    assert problems == []
    assert len(images) >= 5 and all(i["complete"] and i["w"] > 0 for i in images), images
    assert table_rows == 2
    # the answer comes first and names the winning configuration, with its interval
    assert verdict.splitlines()[0].startswith("The baseline (act=relu) reaches 0.5 dev_accuracy")
    assert "Best: act=leaky_relu(0.01), 0.88 dev_accuracy (95% CI" in verdict
    # a two-group study reads in a few screens of 1280x900 (dying-relu's 16 groups: about 8)
    assert before_appendix <= 5 * 900, before_appendix
    assert title.startswith('dying <script>alert("x")</script>')  # shown as text, never run
    assert (tmp_path / "report.png").stat().st_size > 10_000
