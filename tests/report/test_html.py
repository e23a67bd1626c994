"""The HTML report: self-contained, escaped, complete, small — built from a real store."""

from __future__ import annotations

import re

import pytest

from gradlab.errors import StoreError
from gradlab.report.data import load_report_data
from gradlab.report.html import render_html, write_report
from gradlab.report.study_figures import FigureItem
from gradlab.study.verdict import num


@pytest.fixture
def study_dir(rendered):
    return rendered[0]


@pytest.fixture
def page(rendered):
    study, path = rendered
    assert path == study / "report.html"
    return path.read_text(encoding="utf-8")


def test_user_strings_are_escaped(page):
    assert "<script" not in page.lower()  # not even our own: the page runs no script at all
    assert "onerror=" not in page.replace("onerror=alert", "")  # only as escaped text
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#x27;quotes&#x27;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<img src=x" not in page


def test_page_is_self_contained(page):
    # no network: no external scripts, stylesheets, fonts or images
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "<link" not in page and "@import" not in page
    srcs = re.findall(r'<img [^>]*src="([^"]+)"', page)
    assert srcs and all(s.startswith("data:image/png;base64,") for s in srcs)


def test_page_has_comparison_verdict_findings_and_groups(study_dir, page):
    data = load_report_data(study_dir)
    assert 'id="comparison-table"' in page and 'id="verdict"' in page
    leaky = next(r for r in data.comparison if not r.is_baseline)
    # the numbers printed are the study statistics' numbers
    assert f"<td class=num>{num(leaky.diff, True)}</td>" in page and leaky.significant
    assert "Best: act=leaky_relu(0.01), 0.88 dev_accuracy" in page  # the answer names the winner
    assert page.index('id="verdict"') < page.index('id="comparison-table"') < page.index("<figure")
    assert "dead_units" in page and "leaky_relu(0.01)" in page  # finding + recommendation
    for g in data.groups:
        assert f"<h3>{g.label}</h3>" in page.replace("&#x27;", "'")
    assert "@media print" in page


def test_failed_trials_are_listed_with_their_error(page):
    assert "failed" in page and "Traceback &lt;boom&gt; &quot;x&quot;" in page


def test_report_stays_small(page):
    assert len(page.encode()) < 3_000_000


def test_a_broken_figure_is_shown_not_hidden(study_dir):
    data = load_report_data(study_dir)
    html = render_html(data, [FigureItem("Broken <fig>", "cap", None, "ValueError: bad <value>")])
    assert "Broken &lt;fig&gt;" in html and "not drawn" in html and "bad &lt;value&gt;" in html


def test_missing_store_is_a_clear_error(tmp_path):
    with pytest.raises(StoreError, match="no study store"):
        write_report(tmp_path / "nothing-here")




def test_configuration_shows_non_ascii_text_as_written(tmp_path):
    # regression: the Configuration block printed the zero-init study's "§1" as "\u00a71"
    from report_study import make_study

    study = make_study(tmp_path / "study", name="zero-init", description="Seed 002 §1: naïve zero init — η 0.2")
    page = render_html(load_report_data(study), [])
    config = page[page.index("<details id=configuration>"):]
    assert "&quot;description&quot;: &quot;Seed 002 §1: naïve zero init — η 0.2&quot;" in config
    assert "\\u00a7" not in page and "\\u" not in config


def test_out_into_a_new_folder_is_created_and_an_unwritable_out_is_one_line(study_dir, tmp_path):
    # regression: `gradlab report DIR -o new/folder/report.html` died with a FileNotFoundError traceback
    from typer.testing import CliRunner

    from gradlab.cli.app import app

    runner = CliRunner()
    target = tmp_path / "new" / "folder" / "report.html"
    result = runner.invoke(app, ["report", str(study_dir), "--no-replay", "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    result = runner.invoke(app, ["report", str(study_dir), "--no-replay", "-o", str(blocker / "report.html")])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert result.stderr.strip().startswith("error: cannot write the report to")
