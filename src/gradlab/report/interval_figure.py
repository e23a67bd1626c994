"""Means with 95 % intervals for a few named series side by side, one panel per quantity.

A dot per group and series, whiskers for the interval the study's statistics give
(:func:`gradlab.study.stats.summarize`), a text label beside it when given.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure

from gradlab.report._style import color, new_figure


def interval_panels(panels: Mapping[str, Mapping[str, Mapping[str, Mapping]]], *,
                    groups: Sequence[str]) -> Figure:
    """Draw ``{panel title: {series: {group: {"mean", "low", "high", "note"?}}}}``.

    Groups run down the y axis in the order of ``groups`` (a group missing from a series is
    skipped); each series has its own colour and a small vertical offset.
    """
    n = max(len(panels), 1)
    fig, axes = new_figure(n, width=4.4, height=0.42 * len(groups) + 1.3)
    for ax, (title, series) in zip(axes[0], panels.items()):
        offsets = np.linspace(-0.15, 0.15, len(series)) if len(series) > 1 else [0.0]
        for k, ((name, cells), dy) in enumerate(zip(series.items(), offsets)):
            ys, xs, lo, hi = [], [], [], []
            for i, g in enumerate(groups):
                cell = cells.get(g)
                if cell is None or cell.get("mean") is None:
                    continue
                ys.append(i + dy)
                xs.append(cell["mean"])
                lo.append(cell["mean"] - cell["low"] if np.isfinite(cell.get("low", np.nan)) else 0)
                hi.append(cell["high"] - cell["mean"] if np.isfinite(cell.get("high", np.nan)) else 0)
                if cell.get("note"):
                    ax.annotate(cell["note"], (cell["mean"], i + dy), xytext=(6, 0),
                                textcoords="offset points", va="center", fontsize=7, color=color(k))
            ax.errorbar(xs, ys, xerr=[lo, hi], fmt="o", ms=4, capsize=2, color=color(k), label=name)
        ax.set_yticks(range(len(groups)), list(groups), fontsize=8)
        ax.invert_yaxis()
        ax.set_title(title, fontsize=9)
        if len(series) > 1:
            ax.legend(fontsize=7, loc="best")
    return fig
