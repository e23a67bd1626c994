"""The report's comparison table: one row per group, the keys that differ as columns.

The numbers are the study's own (:class:`gradlab.study.results.GroupRow`), formatted as
``gradlab show`` formats them (:mod:`gradlab.study.verdict`); a setting equal to the baseline's
is greyed so the eye finds what each group changed, and the winning row is marked.
"""

from __future__ import annotations

from html import escape

from gradlab.report.page_data import ReportData
from gradlab.study import verdict as V
from gradlab.study.headline import winners
from gradlab.study.plan import short_names, value_text

_CLASS = {V.BETTER: "sig-yes", V.WORSE: "sig-worse"}


def _e(value) -> str:
    return escape(str(value), quote=True)


def _settings(row, keys: list[str], base: dict) -> str:
    if not keys:
        return f"<td>{_e(row.label)}</td>"
    cells = []
    for k in keys:
        value = row.setting.get(k)
        same = row.baseline is not None and value == base.get(k)
        cells.append(f"<td{' class=same' if same else ''}>{_e(value_text(value))}</td>")
    return "".join(cells)


def comparison_table(data: ReportData) -> str:
    """The comparison table (``id="comparison-table"``), baseline first, the winner marked ★."""
    keys = data.keys
    heads = "".join(f"<th>{_e(n)}</th>" for n in short_names(keys).values()) or "<th>group</th>"
    head = (f"<tr>{heads}<th class=num>n</th><th class=num>mean</th><th class=num>95 % CI</th>"
            "<th class=num>difference vs baseline</th><th class=num>95 % CI</th>"
            "<th class=num>p (Holm)</th><th>verdict</th></tr>")
    settings = {r.label: r.setting for r in data.comparison}
    best = winners(data.comparison, data.higher_is_better)
    rows = []
    for r in data.comparison:
        tested = r.diff is not None
        cls = " ".join(c for c in ("baseline" if r.baseline is None else "",
                                   "best" if best and r is best[0] else "") if c)
        verdict = r.verdict + (" ★" if best and r is best[0] else "")
        failed = f" <span class=sig-worse>({r.failed} failed)</span>" if r.failed else ""
        rows.append(
            f'<tr class="{cls}">{_settings(r, keys, settings.get(r.baseline or "", {}))}'
            f"<td class=num>{r.n}</td><td class=num>{V.num(r.mean)}</td>"
            f"<td class=num>{_e(V.interval(r.ci_low, r.ci_high))}</td>"
            f"<td class=num>{V.num(r.diff, True) if tested else ''}</td>"
            f"<td class=num>{_e(V.interval(r.diff_low, r.diff_high, True)) if tested and not r.too_few else ''}</td>"
            f"<td class=num>{_e(V.p_text(r.p_holm).removeprefix('p=')) if r.p_holm is not None else ''}</td>"
            f'<td class="{_CLASS.get(r.verdict, "sig-no")}">{_e(verdict)}{failed}</td></tr>')
    family = sum(r.p_holm is not None for r in data.comparison)
    caption = (f"<caption class=meta>{_e(data.metric)} per group over its seeds "
               f"({'higher' if data.higher_is_better else 'lower'} is better). Means with Student "
               "t-intervals kept inside the metric's range; differences from the baseline with exact "
               "permutation tests (sign-flip by seed) and the intervals that invert them; p-values "
               f"Holm-corrected over the {family} comparisons that seeds could decide. Greyed: the "
               "baseline's own setting. See docs/statistics.md.</caption>")
    return (f'<table id="comparison-table">{caption}<thead>{head}</thead>'
            f'<tbody>{"".join(rows)}</tbody></table>')
