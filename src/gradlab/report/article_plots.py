"""The seed articles' own figures, one function per figure, from plain data (no store, no training).

* :func:`layer_profiles` — a per-layer statistic by depth, one panel per setting, one line per
  group: Glorot & Bengio's activation and gradient spread by layer (init-compare), seed 001's
  output mean shift by layer (activation-compare).
* :func:`ratio_bars` — a cost relative to a twin (time per epoch, inference time) with its
  interval over seeds: seed 001's "GELU costs more", seed 004's "BN costs at prediction time".
* :func:`schedule_curves` — the learning rate (and the momentum 1cycle drives) per epoch.
* :func:`clip_example` — seed 004's gradient [0.9, 100] clipped by value and by norm.
* :func:`epoch_series` — a model-wide vital per epoch, one band per group (the clip angle).
* :func:`steps_to_target` — how many optimizer steps each group took to reach a dev target.
"""

from __future__ import annotations

import math
from typing import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from gradlab.report._style import (
    color,
    finite,
    legend,
    natural_key,
    new_figure,
    placeholder,
    short,
)


def _center(values: Sequence[float], log: bool) -> float:
    vals = finite(values)
    if log:
        vals = [v for v in vals if v > 0]
        return float(np.exp(np.mean(np.log(vals)))) if vals else math.nan
    return float(np.mean(vals)) if vals else math.nan


def layer_profiles(panels: Mapping[str, Mapping[str, Mapping[str, Sequence[float]]]], ylabel: str,
                   *, log: bool = False, reference: float | None = None, ncols: int = 4) -> Figure:
    """A statistic per layer, input to output, one panel per setting and one line per group.

    Args:
        panels: panel title -> line label -> layer name -> values (one per seed). Layers are
            ordered naturally (act2 before act10). The line is the mean over seeds, or the
            geometric mean with ``log`` (where values that are not > 0 are left out).
        ylabel: the y label.
        log: a log y axis (spreads that shrink layer by layer are straight lines there).
        reference: a horizontal reference line (0 for a mean shift).
        ncols: panels per row.
    """
    n = max(len(panels), 1)
    cols = min(ncols, n)
    rows = -(-n // cols)
    fig, axes = new_figure(cols, rows, width=3.6, height=2.9)
    flat = [ax for row in axes for ax in row]
    for ax in flat[n:]:
        ax.set_visible(False)
    if not panels:
        placeholder(flat[0], "nothing recorded")
        return fig
    labels = list(dict.fromkeys(label for lines in panels.values() for label in lines))
    for ax, (title, lines) in zip(flat, panels.items()):
        for label, per_layer in lines.items():
            layers = sorted(per_layer, key=natural_key)
            ys = [_center(per_layer[layer], log) for layer in layers]
            ax.plot(range(1, len(layers) + 1), ys, marker="o", ms=2.5, lw=1.3,
                    color=color(labels.index(label)), label=short(label, 28))
        if reference is not None:
            ax.axhline(reference, color="#999999", lw=0.8, ls=":")
        if log:
            ax.set_yscale("log")
        ax.set_title(short(title, 40), fontsize="medium")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("layer (input → output)")
        ax.set_ylabel(ylabel)
    legend(flat[min(n, len(flat)) - 1], len(labels))
    return fig


def ratio_bars(rows: Mapping[str, Mapping[str, tuple[float, float, float]]], *,
               reference_label: str = "the twin") -> Figure:
    """Time relative to a twin per group: bars at the mean ratio, whiskers its 95 % interval.

    Args:
        rows: group label -> ratio name (e.g. "train epoch", "inference") -> (centre, low, high),
            e.g. a geometric mean over seeds and its interval; drawn on a log axis.
        reference_label: what the ratio is relative to, for the axis label (1 = as fast).
    """
    names = list(dict.fromkeys(k for per in rows.values() for k in per))
    fig, axes = new_figure(1, width=min(11.0, max(5.0, 0.35 * len(rows) * max(len(names), 1) + 2)),
                           height=3.4)
    ax = axes[0][0]
    if not rows or not names:
        placeholder(ax, "no timings recorded")
        return fig
    width = 0.8 / len(names)
    for j, name in enumerate(names):
        xs: list[float] = []
        mids: list[float] = []
        errs: list[list[float]] = [[], []]
        for i, per in enumerate(rows.values()):
            if name not in per:
                continue
            mean, lo, hi = per[name]
            xs.append(i + (j - (len(names) - 1) / 2) * width)
            mids.append(mean)
            errs[0].append(mean - lo if math.isfinite(lo) and lo > 0 else 0.0)
            errs[1].append(hi - mean if math.isfinite(hi) else 0.0)
        ax.bar(xs, [m - 1.0 for m in mids], width=width * 0.9, bottom=1.0, color=color(j), label=name,
               yerr=errs, capsize=2, ecolor="#333333")
    ax.axhline(1.0, color="#333333", lw=0.8)
    ax.set_yscale("log")  # ratios: twice as slow and twice as fast sit equally far from 1
    ax.set_xticks(range(len(rows)), [short(label, 22) for label in rows], rotation=30, ha="right")
    ax.set_ylabel(f"time relative to {reference_label}")
    legend(ax, len(names))
    return fig


def schedule_curves(groups: Mapping[str, Sequence[Mapping]]) -> Figure:
    """Learning rate per epoch (log axis) and, where a schedule drives it, the momentum.

    Args:
        groups: label -> one history (per-epoch rows with ``epoch``, ``lr``, maybe ``momentum``).
    """
    with_momentum = any("momentum" in row for hist in groups.values() for row in hist)
    fig, axes = new_figure(2 if with_momentum else 1, width=4.6, height=3.3)
    ax = axes[0][0]
    for g, (label, hist) in enumerate(groups.items()):
        epochs = [row["epoch"] for row in hist if row.get("lr") is not None]
        ax.plot(epochs, [row["lr"] for row in hist if row.get("lr") is not None], color=color(g),
                lw=1.5, label=short(label, 30))
        if with_momentum and any("momentum" in row for row in hist):
            m_ax = axes[0][1]
            m_ax.plot([row["epoch"] for row in hist if "momentum" in row],
                      [row["momentum"] for row in hist if "momentum" in row], color=color(g), lw=1.5,
                      label=short(label, 30))
            m_ax.set_xlabel("epoch")
            m_ax.set_ylabel("momentum (β₁)")
            m_ax.set_title("momentum (where the schedule drives it)", fontsize="small")
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("learning rate at the epoch's end")
    legend(ax, len(groups))
    return fig


def clip_example(raw: Sequence[float] = (0.9, 100.0), limit: float = 1.0) -> Figure:
    """Seed 004's example: the gradient ``raw`` clipped by value and by norm at ``limit``.

    Left, the three vectors drawn as unit directions (the raw one is 100 long); right, their
    coordinates and the angle each clipped vector makes with the raw one. The clipped vectors
    are computed with :func:`gradlab.components.regularizers.clip_gradients`, the function
    training uses.
    """
    import torch

    from gradlab.components.regularizers import clip_angle, clip_gradients

    vectors = {}
    for by in ("value", "norm"):
        p = torch.nn.Parameter(torch.zeros(len(raw), dtype=torch.float64))
        p.grad = torch.tensor(list(raw), dtype=torch.float64)
        clip_gradients([p], by=by, max=limit)
        vectors[by] = p.grad.tolist()
    raw_t = torch.tensor(list(raw), dtype=torch.float64)
    fig, axes = new_figure(2, width=4.0, height=3.6)
    ax, text_ax = axes[0][0], axes[0][1]
    entries = [("raw gradient (its direction)", list(raw), "#bbbbbb", 6, "-"),
               (f"clipped by value at {limit:g}", vectors["value"], color(1), 2, "-"),
               (f"clipped by norm at {limit:g}", vectors["norm"], color(0), 2, "--")]
    for label, vec, col, lw, ls in entries:  # the raw arrow under the norm-clipped one
        v = np.asarray(vec, dtype=float)
        u = v / np.linalg.norm(v)
        ax.annotate("", xy=(u[0], u[1]), xytext=(0, 0),
                    arrowprops={"arrowstyle": "->", "color": col, "lw": lw, "ls": ls})
        ax.plot([], [], color=col, lw=lw, ls=ls, label=label)
    ax.plot([0, 1], [0, 1], ls=":", color="#999999", lw=0.8)
    ax.set_xlim(-0.05, 1.05)
    ax.set_ylim(-0.05, 1.05)
    ax.set_aspect("equal")
    ax.set_xlabel("g₁ (unit direction)")
    ax.set_ylabel("g₂")
    ax.legend(fontsize="x-small", frameon=False, loc="lower right")
    lines = [f"raw          = [{raw[0]:g}, {raw[1]:g}]"]
    for by in ("value", "norm"):
        angle = clip_angle([raw_t], [torch.tensor(vectors[by])]).item()
        lines.append(f"by {by:<5} → [{vectors[by][0]:.7g}, {vectors[by][1]:.7g}]\n"
                     f"             turned by {angle:.2f}°")
    text_ax.text(0.0, 0.95, "\n".join(lines), family="monospace", fontsize="small", va="top",
                 transform=text_ax.transAxes)
    text_ax.axis("off")
    return fig


def epoch_series(groups: Mapping[str, Mapping[int, Sequence[float]]], ylabel: str) -> Figure:
    """One value per epoch and group: the mean over seeds, the band from min to max.

    Args:
        groups: label -> epoch -> values (one per seed).
        ylabel: the y label.
    """
    fig, axes = new_figure(1, width=6.0, height=3.4)
    ax = axes[0][0]
    if not groups:
        placeholder(ax, "nothing recorded")
        return fig
    for g, (label, per) in enumerate(groups.items()):
        epochs = sorted(per)
        vals = [finite(per[e]) for e in epochs]
        keep = [i for i, v in enumerate(vals) if v]
        xs = [epochs[i] for i in keep]
        ax.plot(xs, [np.mean(vals[i]) for i in keep], color=color(g), lw=1.5, label=short(label, 30))
        ax.fill_between(xs, [min(vals[i]) for i in keep], [max(vals[i]) for i in keep], color=color(g),
                        alpha=0.15, lw=0)
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    legend(ax, len(groups))
    return fig


def steps_to_target(groups: Mapping[str, Sequence[float | None]], target: float, metric: str) -> Figure:
    """Optimizer steps each seed of each group needed to first reach ``target`` on ``metric``.

    Args:
        groups: label -> one entry per seed: the steps, or None when the seed never got there.
        target: the threshold (drawn in the title).
        metric: the metric's name.
    """
    fig, axes = new_figure(1, width=max(5.0, 0.6 * len(groups) + 2), height=3.4)
    ax = axes[0][0]
    if not groups:
        placeholder(ax, "no histories recorded")
        return fig
    reached_all = [s for vals in groups.values() for s in vals if s is not None]
    ceiling = max(reached_all, default=1) * 1.15
    for i, (label, vals) in enumerate(groups.items()):
        got = [s for s in vals if s is not None]
        missed = len(vals) - len(got)
        if got:
            ax.bar(i, float(np.median(got)), color=color(i), alpha=0.5, width=0.7)
            ax.plot([i] * len(got), got, "o", color=color(i), ms=3)
        if missed:
            ax.plot([i] * missed, [ceiling] * missed, "x", color=color(i), ms=6)
    ax.axhline(ceiling, color="#999999", lw=0.6, ls=":")
    ax.text(len(groups) - 0.5, ceiling, " never", va="center", fontsize="x-small", color="#666666")
    ax.set_xticks(range(len(groups)), [short(label, 22) for label in groups], rotation=30, ha="right")
    ax.set_ylabel("optimizer steps")
    ax.set_title(f"steps until {metric} ≥ {target:.3g} (bar: median over seeds; ×: never)", fontsize="medium")
    return fig


__all__ = ["clip_example", "epoch_series", "layer_profiles", "ratio_bars", "schedule_curves",
           "steps_to_target"]
