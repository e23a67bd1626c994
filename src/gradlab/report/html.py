"""The study report: one self-contained HTML page (``DIR/report.html``).

Everything is inline — the stylesheet, and every figure as a base64 PNG — so the file opens
offline, mails as one attachment and prints. Every string that came from a user (study name,
description, labels, configuration values, error text) passes through :func:`html.escape`.
"""

from __future__ import annotations

import datetime as _dt
import json
from html import escape
from importlib import resources
from pathlib import Path

from gradlab.atomic_write import atomic_write
from gradlab.errors import ConfigError
from gradlab.report._style import to_data_uri
from gradlab.report.findings_view import findings_section
from gradlab.report.freshness import meta_tag, study_digest
from gradlab.report.page_data import ReportData
from gradlab.report.study_figures import FigureItem
from gradlab.report.table_view import comparison_table


def _e(value) -> str:
    return escape(str(value), quote=True)


def _num(value, digits: int = 4) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "–"
    if isinstance(value, int):
        return str(value)
    return f"{value:.{digits}g}" if abs(value) >= 1e-3 or value == 0 else f"{value:.2e}"


def _css() -> str:
    return resources.files("gradlab.report").joinpath("templates/report.css").read_text("utf-8")


def verdict_block(data: ReportData) -> str:
    """The answer in plain words, one paragraph per sentence."""
    sentences = data.verdict or ["No comparison could be made yet: no group has finished trials."]
    return '<div class="verdict" id="verdict">' + "".join(f"<p>{_e(s)}</p>" for s in sentences) + "</div>"


def sentences_block(data: ReportData) -> str:
    """Every comparison in one sentence (the appendix)."""
    items = "".join(f"<li>{_e(s)}</li>" for s in data.sentences)
    return f"<ul>{items}</ul>" if items else "<p class=meta>No comparisons.</p>"


def figure_html(item: FigureItem) -> str:
    """One figure with its caption (or the reason it could not be drawn)."""
    if item.figure is None:
        return (f'<figure class="missing"><figcaption><strong>{_e(item.title)}</strong>: '
                f"not drawn — {_e(item.error)}</figcaption></figure>")
    return (f'<figure><img alt="{_e(item.title)}" src="{to_data_uri(item.figure)}">'
            f"<figcaption><strong>{_e(item.title)}.</strong> {_e(item.caption)}</figcaption></figure>")


def _trial_rows(data: ReportData, trial_ids: list[str]) -> str:
    metric, rows = data.metric, []
    for tid in trial_ids:
        t = data.trial(tid)
        m = t.get("metrics") or {}
        err = ""
        if t.get("error"):
            err = f"<details><summary>error</summary><pre>{_e(t['error'])}</pre></details>"
        rows.append(f"<tr><td><code>{_e(tid)}</code></td><td class=num>{_e(t.get('seed'))}</td>"
                    f"<td>{_e(t.get('status'))}{err}</td><td class=num>{_num(m.get(metric))}</td>"
                    f"<td class=num>{_e(m.get('best_epoch', '–'))}</td>"
                    f"<td class=num>{_num(t.get('wall_time'), 3)} s</td></tr>")
    return ("<table><thead><tr><th>trial</th><th class=num>seed</th><th>status</th>"
            f"<th class=num>{_e(metric)}</th><th class=num>best epoch</th><th class=num>wall time</th>"
            f"</tr></thead><tbody>{''.join(rows)}</tbody></table>")


def groups_section(data: ReportData) -> str:
    """A section per trial group: its settings and its trials."""
    parts = []
    for g in data.groups:
        settings = ", ".join(f"<code>{_e(k)} = {_e(json.dumps(v, ensure_ascii=False))}</code>"
                             for k, v in g.overrides.items())
        parts.append(f'<div class="group"><h3>{_e(g.label)}</h3>'
                     f"<p>{settings or 'the base configuration'}</p>{_trial_rows(data, g.trial_ids)}</div>")
    return "".join(parts)


def render_html(data: ReportData, figures: list[FigureItem], digest: str | None = None) -> str:
    """The whole page as a string; ``digest`` (see :mod:`gradlab.report.freshness`) goes in its head."""
    n_done = sum(t.get("status") == "done" for t in data.trials)
    n_failed = sum(t.get("status") == "failed" for t in data.trials)
    axes = "; ".join(f"{_e(k)} ∈ {{{', '.join(_e(json.dumps(v, ensure_ascii=False)) for v in vals)}}}"
                     for k, vals in data.axes.items()) or "none"
    versions = ", ".join(f"{_e(k)} {_e(v)}" for k, v in data.versions.items())
    stamp = _dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    body = f"""<main>
<header><p class=meta>gradlab study report</p><h1>{_e(data.name)}</h1>
<p class=lead>{_e(data.description)}</p>
<p class=meta>{len(data.trials)} trials ({n_done} done, {n_failed} failed) in {len(data.groups)} groups ·
metric <code>{_e(data.metric)}</code> ({'higher' if data.higher_is_better else 'lower'} is better) ·
swept: {axes}</p></header>
<nav class=toc><a href="#answer">Answer</a><a href="#results">Results</a><a href="#figures">Figures</a>
<a href="#findings">Findings</a><a href="#appendix">Appendix</a></nav>
<section id=answer><h2>The answer</h2>{verdict_block(data)}</section>
<section id=results><h2>Results</h2>{comparison_table(data)}</section>
<section id=figures><h2>Figures</h2>{''.join(figure_html(f) for f in figures)}</section>
<section id=findings><h2>Findings</h2>{findings_section(data)}</section>
<section id=appendix><h2>Appendix</h2>
<details><summary>Every comparison in words</summary>{sentences_block(data)}</details>
<details id=groups><summary>Groups and their trials</summary>{groups_section(data)}</details>
<details id=configuration><summary>Configuration</summary>
<pre>{_e(json.dumps(data.spec, indent=2, sort_keys=False, default=str, ensure_ascii=False))}</pre></details>
</section>
<footer>Written by gradlab on {stamp}{' · ' + versions if versions else ''}.</footer>
</main>"""
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"{meta_tag(digest) if digest else ''}"
            f"<title>{_e(data.name)} — gradlab report</title><style>{_css()}</style></head>"
            f"<body>{body}</body></html>\n")


def write_report(study_dir: str | Path, out: str | Path | None = None, *,
                 activations: bool = True) -> Path:
    """Write the study's self-contained report and return its path.

    Args:
        study_dir: the study directory (holding ``gradlab.sqlite``).
        out: where to write; default ``study_dir/report.html``.
        activations: include the figures of the activations the trials recorded while they
            ran (activation histograms, the colorful dimension); nothing is trained.

    Raises:
        StoreError: when ``study_dir`` holds no readable study.
        ConfigError: when ``out`` cannot be written (a file where a folder should be, no access).
    """
    from gradlab.report.data import load_report_data
    from gradlab.report.study_figures import build_figures

    study_dir = Path(study_dir)
    # taken before reading: a trial that finishes meanwhile makes the next run redraw
    digest = study_digest(study_dir)
    data = load_report_data(study_dir)
    figures = build_figures(data, activations=activations)
    try:
        page = render_html(data, figures, digest)
    finally:
        for item in figures:
            item.close()
    path = Path(out) if out is not None else study_dir / "report.html"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)  # --out into a folder not made yet
        atomic_write(path, page)  # a full disk leaves the old report, never half of one
    except OSError as exc:
        raise ConfigError(f"cannot write the report to {str(path)!r}: {exc.strerror or exc}; "
                          "choose another --out") from None
    return path
