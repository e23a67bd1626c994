"""A sweep axis against the metric: the confidence band and the per-seed points behind it.

Seed 000 tunes LeakyReLU's ``negative_slope`` from one run per value; this figure shows what a
study knows instead: every seed as a dot, the group mean as a line, and the 95 % interval that
:mod:`gradlab.study.stats` computed as a band (or whiskers when the axis is categorical).
"""

from __future__ import annotations

import numbers
from typing import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure

from gradlab.report._style import color, new_figure, placeholder


def _is_number(v) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool)


def sweep_metric(points: Sequence[Mapping], summary: Sequence[Mapping], axis: str,
                 metric: str, title: str | None = None) -> Figure:
    """Plot a metric against one sweep axis.

    Args:
        points: one dict per trial: ``{"x": axis value, "value": metric}``.
        summary: one dict per axis value: ``{"x", "mean", "ci_low", "ci_high"}`` (the interval
            as the study's statistics give it; None where a group has a single seed).
        axis: the axis name for the x label, e.g. ``"model.act.negative_slope"``.
        metric: the metric name for the y label.
        title: optional title.

    Numeric axes are drawn to scale (symlog when they hold 0 and span decades, like slopes
    0, 0.001, ..., 0.5); anything else becomes evenly spaced categories in the given order.
    """
    fig, axes = new_figure(1, width=6.0, height=3.6)
    ax = axes[0][0]
    xs_all = [p["x"] for p in points] + [s["x"] for s in summary]
    if not xs_all:
        placeholder(ax, "no trials for this axis")
        return fig
    numeric = all(_is_number(x) for x in xs_all)
    if not numeric:  # lists or specs as axis values: compare them by their printed form
        points = [{**p, "x": str(p["x"])} for p in points]
        summary = [{**s, "x": str(s["x"])} for s in summary]
        xs_all = [str(x) for x in xs_all]
    if numeric:
        pos = {x: float(x) for x in xs_all}
    else:
        order = []
        for x in [s["x"] for s in summary] + [p["x"] for p in points]:
            if str(x) not in order:
                order.append(str(x))
        pos = {x: float(order.index(str(x))) for x in xs_all}
    rng = np.random.default_rng(0)  # fixed jitter: same study, same picture
    spread = 0.08 if not numeric else 0.0
    px = [pos[p["x"]] + rng.uniform(-spread, spread) for p in points]
    ax.scatter(px, [p["value"] for p in points], s=14, color=color(1), alpha=0.6, lw=0,
               label="one seed", zorder=3)
    summ = sorted(summary, key=lambda s: pos[s["x"]])
    sx = np.array([pos[s["x"]] for s in summ])
    mean = np.array([np.nan if s.get("mean") is None else float(s["mean"]) for s in summ])
    lo = np.array([np.nan if s.get("ci_low") is None else float(s["ci_low"]) for s in summ])
    hi = np.array([np.nan if s.get("ci_high") is None else float(s["ci_high"]) for s in summ])
    if numeric:
        ax.plot(sx, mean, "-o", color=color(0), ms=4, lw=1.6, label="mean", zorder=4)
        ok = np.isfinite(lo) & np.isfinite(hi)
        if ok.any():
            ax.fill_between(sx[ok], lo[ok], hi[ok], color=color(0), alpha=0.2, lw=0,
                            label="95 % interval")
        nonzero = sorted(abs(v) for v in pos.values() if v != 0)
        if nonzero and 0.0 in pos.values() and nonzero[-1] / nonzero[0] > 50:
            ax.set_xscale("symlog", linthresh=nonzero[0])
        elif nonzero and len(nonzero) == len(pos) and nonzero[-1] / nonzero[0] > 100:
            ax.set_xscale("log")
    else:
        err = np.vstack([mean - lo, hi - mean])
        err = np.where(np.isfinite(err), err, 0.0)
        ax.errorbar(sx, mean, yerr=err, fmt="o", color=color(0), capsize=4, ms=6, lw=1.6,
                    label="mean, 95 % interval", zorder=4)
        labels = sorted({str(x): pos[x] for x in xs_all}.items(), key=lambda kv: kv[1])
        ax.set_xticks([v for _, v in labels], [k for k, _ in labels],
                      rotation=25 if len(labels) > 4 else 0, ha="right" if len(labels) > 4 else "center")
    ax.set_xlabel(axis)
    ax.set_ylabel(metric)
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small", frameon=False)
    if title:
        ax.set_title(title)
    return fig
