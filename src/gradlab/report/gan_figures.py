"""``gan-slope``'s figure: modes captured by discriminator slope x generator slope, per data set.

Seed 000 §3.1 gives slope advice for GANs (D at 0.2, lower when D wins, G different from D, a G
slope decaying 0.3 -> 0.1) without a figure; this is the table its advice implies, measured: each
cell is the mean number of modes captured over seeds, with how many seeds D won outright and the
share of dead generator units.
"""

from __future__ import annotations

from gradlab.report.article_helpers import (
    mean_of,
    ordered,
    setting,
    short_label,
)
from gradlab.report.figure_items import FigureItem, done, safe
from gradlab.report.grid_figure import metric_grid
from gradlab.report.page_data import ReportData


def coverage_cells(data: ReportData) -> tuple[dict, list[str], list[str]]:
    """Panels (one per task and network widths) of ``{(D slope, G slope): {"value", "text"}}``,
    rows and columns. The widths join a panel's name only where the study varies them."""
    panels: dict[str, dict] = {}
    widths = [f"G {setting(g, 'model.g_hidden')}, D {setting(g, 'model.d_hidden')}" for g in data.groups]
    named = len(set(widths)) > 1
    rows = ordered([setting(g, "model.d_act") for g in data.groups])
    cols = ordered([setting(g, "model.g_act") for g in data.groups])
    for g, width in zip(data.groups, widths):
        modes = mean_of(data, g, "modes")
        if modes is None:
            continue
        n_modes = mean_of(data, g, "n_modes") or 0
        wins = sum((data.trial(t).get("metrics") or {}).get("d_wins", 0) for t in done(data, g))
        dead = mean_of(data, g, "g_dead_frac") or 0.0
        text = f"{modes:.1f}/{n_modes:.0f}\nD wins {wins:.0f}/{len(done(data, g))}"
        if dead > 0:
            text += f"\nG dead {dead:.0%}"
        task = str(setting(g, "task.name")) + (f" ({width})" if named else "")
        cell = {"value": modes / n_modes if n_modes else None, "text": text}
        panels.setdefault(task, {})[(short_label(setting(g, "model.d_act")),
                                      short_label(setting(g, "model.g_act")))] = cell
    return panels, rows, cols


def gan_slope_figures(data: ReportData) -> list[FigureItem]:
    """The coverage grid of ``gan-slope``."""
    def draw():
        panels, rows, cols = coverage_cells(data)
        if not panels:
            return None
        return metric_grid(panels, rows=rows, cols=cols, row_label="discriminator slope",
                           col_label="generator slope", value_label="share of modes captured",
                           vmin=0.0, vmax=1.0)
    return [safe("Modes captured by discriminator and generator slope",
                 "Each cell: mean modes captured over seeds (of the data's modes), the seeds in "
                 "which the discriminator won outright (last-epoch loss < 0.1) and, where any, the "
                 "share of dead generator units. Colour: share of modes captured.", draw)]
