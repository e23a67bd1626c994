"""Every group of a study in one picture: its seeds, its mean and interval, its verdict.

A study of 16 or 30 configurations does not fit in a legend or a bar chart by axis; it fits in
one row per group, sorted by the metric, best on top: each seed a dot, the mean a marker, the
95 % interval of :mod:`gradlab.study.stats` a bar, coloured by the verdict against the baseline
(:mod:`gradlab.study.verdict`). The baseline is drawn as a vertical line too, so "does it beat
the baseline" is read straight off the picture.
"""

from __future__ import annotations

import math
import textwrap
from typing import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from gradlab.report._style import new_figure, placeholder

VERDICT_COLORS = {"better": "#1a7f37", "worse": "#b42318", "baseline": "#000000"}
OTHER = "#7a7f87"


def _ok(x) -> bool:
    return x is not None and not (isinstance(x, float) and math.isnan(x))


def results_by_group(rows: Sequence[Mapping], metric: str, higher: bool = True,
                     title: str | None = None) -> Figure:
    """One row per group, sorted best first.

    Args:
        rows: one dict per group: ``label``, ``values`` (one per seed), ``mean``, ``ci_low``,
            ``ci_high`` (None or NaN without an interval) and ``verdict`` (``"better"``,
            ``"worse"``, ``"baseline"``, anything else is drawn grey).
        metric: the x label.
        higher: whether larger is better (the sort order).
        title: optional title.
    """
    rows = [r for r in rows if _ok(r.get("mean"))]
    height = 1.2 + 0.36 * max(1, len(rows))
    fig, axes = new_figure(1, width=9.0, height=height)
    ax = axes[0][0]
    if not rows:
        placeholder(ax, "no group has a finished trial")
        return fig
    rows = sorted(rows, key=lambda r: r["mean"], reverse=not higher)  # y grows upwards: best on top
    rng = np.random.default_rng(0)  # fixed jitter: same study, same picture
    for y, r in enumerate(rows):
        col = VERDICT_COLORS.get(r.get("verdict", ""), OTHER)
        vals = [float(v) for v in r.get("values") or [] if _ok(v)]
        ax.scatter(vals, y + rng.uniform(-0.18, 0.18, len(vals)), s=10, color=col, alpha=0.35,
                   lw=0, zorder=2)
        if _ok(r.get("ci_low")) and _ok(r.get("ci_high")):
            ax.plot([r["ci_low"], r["ci_high"]], [y, y], color=col, lw=2.2, zorder=3,
                    solid_capstyle="butt")
        ax.plot([r["mean"]], [y], "D", color=col, ms=5, zorder=4)
        if r.get("verdict") == "baseline":
            ax.axvline(r["mean"], color=col, lw=0.8, ls=":", zorder=1)
    labels = ["\n".join(textwrap.wrap(str(r["label"]), 48)) or "—" for r in rows]
    ax.set_yticks(range(len(rows)), labels, fontsize="small")
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.set_xlabel(f"{metric} ({'higher' if higher else 'lower'} is better)")
    ax.grid(alpha=0.3, axis="x")
    handles = [Line2D([], [], marker="D", ls="-", color=c, label=name)
               for name, c in (("better than its baseline", VERDICT_COLORS["better"]),
                               ("worse", VERDICT_COLORS["worse"]),
                               ("no clear difference / too few seeds", OTHER),
                               ("baseline", VERDICT_COLORS["baseline"]))]
    handles.append(Line2D([], [], marker="o", ls="", color=OTHER, alpha=0.5, label="one seed"))
    fig.legend(handles=handles, loc="outside lower center", ncols=3, fontsize="small", frameon=False)
    if title:
        ax.set_title(title)
    return fig
