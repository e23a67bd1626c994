"""``slope-depth``'s figure: the article's "depth -> slope" table, measured, per BN order and regime.

Seed 000 §3.2 tabulates a recommended LeakyReLU slope per network depth; §4.1 says BN ->
LeakyReLU tolerates a larger slope than LeakyReLU -> BN. Each panel here is one BN order in one
regime (many points: the net underfits; few points: it overfits); each cell the mean dev accuracy
over seeds, with the train-dev gap and the share of dead units beside it, so a reader can tell a
slope that revives units from one that changes how much the net overfits.
"""

from __future__ import annotations

import numpy as np

from gradlab.report.article_helpers import (
    mean_of,
    ordered,
    setting,
    short_label,
)
from gradlab.report.figure_items import FigureItem, done, safe, series
from gradlab.report.grid_figure import metric_grid
from gradlab.report.page_data import ReportData

ORDER = {"before": "BN → LeakyReLU", "after": "LeakyReLU → BN"}


def _dead_at_end(data: ReportData, trial_id: str) -> float:
    """Mean over activation layers of the share of dead units at the last recorded epoch."""
    per_layer = series(data, [trial_id], "dead_frac")
    last = [float(np.mean(per[max(per)])) for per in per_layer.values() if per]
    return float(np.mean(last)) if last else 0.0


def depth_cells(data: ReportData) -> tuple[dict, list[str], list[str]]:
    """Panels (points x BN order) of ``{(depth, slope): {"value", "text"}}``, rows and columns."""
    panels: dict[str, dict] = {}
    sizes = sorted({setting(g, "task.n_samples") for g in data.groups}, key=lambda n: -(n or 0))
    for n in sizes:
        for name in ORDER.values():
            panels[f"{n} points · {name}"] = {}
    rows = ordered(sorted({int(setting(g, "model.depth") or 0) for g in data.groups}))
    cols = ordered([setting(g, "model.act") for g in data.groups])
    for g in data.groups:
        dev, train = mean_of(data, g, "dev_accuracy"), mean_of(data, g, "train_accuracy")
        if dev is None or train is None:
            continue
        dead = float(np.mean([_dead_at_end(data, t) for t in done(data, g)]))
        text = f"{dev:.3f}\ngap {train - dev:+.3f}" + (f"\ndead {dead:.0%}" if dead > 0.005 else "")
        title = f"{setting(g, 'task.n_samples')} points · {ORDER.get(str(setting(g, 'model.norm_position')), '?')}"
        key = (short_label(setting(g, "model.depth")), short_label(setting(g, "model.act")))
        panels.setdefault(title, {})[key] = {"value": dev, "text": text}
    return {k: v for k, v in panels.items() if v}, rows, cols


def slope_depth_figures(data: ReportData) -> list[FigureItem]:
    """The depth x slope grids of ``slope-depth``."""
    def draw():
        panels, rows, cols = depth_cells(data)
        if not panels:
            return None
        return metric_grid(panels, rows=rows, cols=cols, row_label="hidden layers",
                           col_label="LeakyReLU slope", value_label="dev accuracy")
    return [safe("Dev accuracy by depth and slope, per BatchNorm order and data size",
                 "Each cell: mean dev accuracy over seeds, the train-dev gap (train minus dev "
                 "accuracy: large = overfitting) and, where any, the share of dead units at the end. "
                 "Many points: the net underfits; few points: it overfits.", draw)]
