"""``slope-depth``'s figure: the article's "depth -> slope" table, measured, per BN order and regime.

Seed 000 §3.2 tabulates a recommended LeakyReLU slope per network depth; §4.1 says BN ->
LeakyReLU tolerates a larger slope than LeakyReLU -> BN. Each panel here is one BN order in one
regime (many clean points: the net underfits; few points with flipped labels and noise inputs:
it overfits), titled by its task; each cell the mean dev accuracy over seeds, with the train-dev
gap and the share of dead units beside it, so a reader can tell a slope that revives units from
one that changes how much the net overfits.
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


def _dead_at_end(data: ReportData, trial_id: str) -> float | None:
    """Mean over activation layers of the share of dead units at the last recorded epoch: the
    trial's ``dead_frac`` metric, else its vitals (a report reads the vitals of a few groups
    only); None when neither is there."""
    trial = next((t for t in data.trials if t["trial_id"] == trial_id), None)
    stored = (trial or {}).get("metrics", {}).get("dead_frac")
    if stored is not None:
        return float(stored)
    per_layer = series(data, [trial_id], "dead_frac")
    last = [float(np.mean(per[max(per)])) for per in per_layer.values() if per]
    return float(np.mean(last)) if last else None


def regime_title(group) -> str:
    """``spirals · 2000 points``, or for a corrupted task ``moons · 200 to train · 20 % labels
    flipped · +10 noise inputs``: what makes the regime."""
    task = setting(group, "task") or {}
    n, split = task.get("n_samples"), task.get("split") or []
    # a split given as sizes names the training set's; fractions leave the total
    sized = len(split) == 3 and all(isinstance(p, int) and not isinstance(p, bool) for p in split)
    size = f"{split[0]} to train" if sized else f"{n} points"
    parts = [str(task.get("name", "?")), size]
    if task.get("label_noise"):
        parts.append(f"{task['label_noise']:.0%} labels flipped")
    if task.get("noise_dims"):
        parts.append(f"+{task['noise_dims']} noise inputs")
    return " · ".join(parts)


def depth_cells(data: ReportData) -> tuple[dict, list[str], list[str]]:
    """Panels (regime x BN order) of ``{(depth, slope): {"value", "text"}}``, rows and columns;
    the regimes in study order."""
    panels: dict[str, dict] = {}
    for regime in dict.fromkeys(regime_title(g) for g in data.groups):
        for name in ORDER.values():
            panels[f"{regime}\n{name}"] = {}
    rows = ordered(sorted({int(setting(g, "model.depth") or 0) for g in data.groups}))
    cols = ordered([setting(g, "model.act") for g in data.groups])
    for g in data.groups:
        dev, train = mean_of(data, g, "dev_accuracy"), mean_of(data, g, "train_accuracy")
        if dev is None or train is None:
            continue
        known = [d for d in (_dead_at_end(data, t) for t in done(data, g)) if d is not None]
        dead = float(np.mean(known)) if known else 0.0
        text = f"{dev:.3f}\ngap {train - dev:+.3f}" + (f"\ndead {dead:.0%}" if dead > 0.005 else "")
        title = f"{regime_title(g)}\n{ORDER.get(str(setting(g, 'model.norm_position')), '?')}"
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
    return [safe("Dev accuracy by depth and slope, per BatchNorm order and regime",
                 "Each cell: mean dev accuracy over seeds, the train-dev gap (train minus dev "
                 "accuracy: large = overfitting) and, where any, the share of dead units at the end. "
                 "Many clean points: the net underfits; few points with flipped labels and noise inputs: "
                 "it overfits.", draw)]
