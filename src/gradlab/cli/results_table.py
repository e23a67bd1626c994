"""The comparison table of a study in the terminal (``gradlab run`` / ``gradlab show``).

Readable at 80 columns: one column per key that differs between groups (the header names the
key, the cell its value, dimmed where it equals the baseline's), every column headed, and cells
that wrap (``overflow="fold"``) instead of being cut with an ellipsis. Under the table: the
study's answer in a few sentences (:func:`gradlab.study.headline.headline`) and the findings,
one line per finding with the groups that raised it.
"""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from gradlab.study import verdict as V
from gradlab.study.headline import headline
from gradlab.study.plan import short_names, value_text

_STYLE = {V.BETTER: "green", V.WORSE: "red", V.TOO_FEW: "yellow", V.BASELINE: "bold"}


def _cell(value, base_value, is_base: bool) -> str:
    text = escape(value_text(value))
    return text if is_base or value != base_value else f"[dim]{text}[/]"


def _span(low, high, signed: bool = False) -> str:
    return V.interval(low, high, signed).replace(" to ", "–")


def _plain(markup: str) -> str:
    """The text of a cell without its rich markup (for measuring)."""
    return Text.from_markup(markup).plain


def _verdict(g) -> str:
    style = _STYLE.get(g.verdict)
    text = f"[{style}]{g.verdict}[/]" if style else g.verdict
    return text + (f" [red]({g.failed} failed)[/]" if g.failed else "")


def _row(g, keys: list[str], base: dict) -> tuple[list[str], list[str], str]:
    cells = [_cell(g.setting[k], base.get(k), g.baseline is None) for k in keys] or [escape(g.label)]
    tested = g.diff is not None
    numbers = [str(g.n), V.num(g.mean), _span(g.ci_low, g.ci_high),
               V.num(g.diff, True) if tested else "",
               _span(g.diff_low, g.diff_high, True) if tested and not g.too_few else "",
               V.p_text(g.p_holm).removeprefix("p=").removeprefix("p") if tested else ""]
    verdict = _verdict(g)
    return cells, numbers, verdict


def _fit(natural: list[int], least: list[int], room: int) -> list[int] | None:
    """Widths for the wrapping columns within ``room``: the widest give way first.

    Returns None when even every column at its least width does not fit.
    """
    widths = list(natural)
    while sum(widths) > room:
        i = max(range(len(widths)), key=lambda j: widths[j] - least[j])
        if widths[i] <= least[i]:
            return None
        widths[i] -= 1
    return widths


def _longest_word(text: str) -> int:
    return max((len(w) for w in text.split()), default=0)


def results_table(results, width: int = 80) -> Table:
    """The rich Table: settings, n, mean and interval, difference and interval, p, verdict.

    The numbers keep their full width; the settings and the verdict share what is left of
    ``width`` (the console's) and wrap. One column per differing key when they fit, else one
    ``group`` column with the labels. Widths are set here rather than left to rich, which
    overflows a table of many fixed columns instead of wrapping the others.
    """
    direction = "higher" if results.higher_is_better else "lower"
    table = Table(title=f"{escape(results.name)}: {results.metric} ({direction} is better)",
                  title_justify="left", box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False,
                  padding=(0, 0))
    settings = {g.label: g.setting for g in results.groups}
    numeric = ["n", "mean", "95% CI", "diff", "diff CI", "p Holm"]
    verdicts = ["verdict", *(_plain(_verdict(g)) for g in results.groups)]
    for keys in ([results.keys] if results.keys else []) + [[]]:
        rows = [_row(g, keys, settings.get(g.baseline, {})) for g in results.groups]
        heads = [short_names(keys)[k] for k in keys] or ["group"]
        fixed = [max([len(col), *(len(r[1][i]) for r in rows)]) for i, col in enumerate(numeric)]
        columns = [[h, *(_plain(r[0][i]) for r in rows)] for i, h in enumerate(heads)] + [verdicts]
        natural = [max(len(t) for t in col) for col in columns]
        room = width - sum(fixed) - (len(heads) + len(numeric))  # one space between columns
        # first no word is cut, then words longer than 8 characters may fold
        whole = [min(20, max(_longest_word(t) for t in col)) for col in columns]
        least = [min(n, 8) for n in natural]
        fitted = _fit(natural, whole, room) or _fit(natural, least, room)
        if fitted is not None or not keys:
            break
    *key_widths, verdict_width = fitted or least
    for head, w in zip(heads, key_widths):
        table.add_column(head, overflow="fold", width=w)
    for col, w in zip(numeric, fixed):
        table.add_column(col, justify="right", no_wrap=True, width=w)
    table.add_column("verdict", overflow="fold", width=verdict_width)
    for cells, numbers, verdict in rows:
        table.add_row(*cells, *numbers, verdict)
    return table


def findings_lines(results) -> list[str]:
    """One line per finding code: the groups whose trials raised it, with how many of them."""
    by_code: dict[str, list[str]] = {}
    for g in results.groups:
        for code, k in g.findings.items():
            by_code.setdefault(code, []).append(f"{g.label} {k}/{g.n + g.failed}")
    return [f"{code}: {'; '.join(where)}" for code, where in sorted(by_code.items())]


def print_results(results, console: Console | None = None) -> None:
    """The comparison table, the answer in sentences, and the findings by code."""
    console = console or Console()
    console.print(results_table(results, console.width))
    for sentence in headline(results):
        console.print(f"• {escape(sentence)}", highlight=False)
    lines = findings_lines(results)
    if lines:
        console.print("[bold]findings[/] (trials with each finding, by group):")
        for line in lines:
            console.print(f"  {escape(line)}", highlight=False)
