"""The study figures, one function per figure, each taking plain data and returning a Figure.

Every function works on its own from Python (lists, dicts, numpy arrays in; a
:class:`matplotlib.figure.Figure` out, rendered by Agg) and knows nothing of the store:
:mod:`gradlab.report.data` pulls the numbers out of a study, these draw them. Bands over seeds
are drawing aids (mean ± one standard deviation); the study's confidence intervals come from
:mod:`gradlab.study.stats` and are passed in ready-made.

The activation figures (histograms, the "colorful dimension", shapes and derivatives, output
mean shift) live in :mod:`gradlab.report.activation_figures` and are re-exported here.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure

from gradlab.report._style import (
    color,
    finite,
    layer_order,
    legend,
    new_figure,
    placeholder,
    wrap,
)
from gradlab.report.activation_figures import (
    activation_histograms,
    activation_shapes,
    colorful_dimension,
    output_mean_shift,
)
from gradlab.report.curves_figure import training_curves
from gradlab.report.forest_figure import results_by_group
from gradlab.report.sweep_figure import sweep_metric

__all__ = [
    "training_curves", "results_by_group", "grad_norm_by_layer", "unit_health_heatmap", "unit_health_grid",
    "row_symmetry",
    "sweep_metric", "activation_histograms", "colorful_dimension", "activation_shapes",
    "output_mean_shift",
]


def _grad_panel(ax, groups: Mapping[str, Mapping[str, float | Sequence[float]]],
                layers: list[str], floor: float) -> None:
    for g, (label, per) in enumerate(groups.items()):
        xs, mid, lo, hi, zeros = [], [], [], [], []
        for i, layer in enumerate(layers):
            vals = finite(np.atleast_1d(per.get(layer, [])))
            pos = [v for v in vals if v > 0]
            if not vals:
                continue
            if not pos:
                zeros.append(i)
                continue
            xs.append(i)
            mid.append(float(np.exp(np.mean(np.log(pos)))))
            lo.append(min(pos))
            hi.append(max(pos))
        col = color(g)
        if xs:
            mid_a = np.asarray(mid)
            ax.errorbar(xs, mid_a, yerr=np.clip([mid_a - lo, np.asarray(hi) - mid_a], 0, None), color=col,
                        marker="o", ms=4, capsize=2, lw=1.5, label=wrap(label))
        if zeros:
            ax.plot(zeros, [floor] * len(zeros), "v", mfc="none", color=col,
                    label=None if xs else f"{wrap(label)} (= 0)")
    ax.set_yscale("log")
    ax.set_xticks(range(len(layers)), layers, rotation=30 if len(layers) > 6 else 0)
    ax.set_xlabel("layer (input → output)")
    ax.grid(alpha=0.3, which="both")


def grad_norm_by_layer(groups: Mapping[str, Mapping[str, float | Sequence[float]]],
                       ylabel: str = "gradient L2 norm", title: str | None = None,
                       order: Sequence[str] | None = None,
                       later: Mapping[str, Mapping[str, float | Sequence[float]]] | None = None,
                       titles: tuple[str, str] = ("first epoch", "last epoch")) -> Figure:
    """Gradient L2 norm per layer on a log axis, one line per group (seed 002, sigmoid vs ReLU).

    Args:
        groups: group label -> {layer name -> norm, or one norm per seed}. Layers are drawn in
            the model's ``order`` (input to output), else in natural order (fc1, fc2, ..., fc10).
            With several seeds the line is their geometric mean and the whisker their range.
            Exact zeros (no gradient at all) cannot sit on a log axis: they are drawn as open
            triangles on the floor of the plot.
        ylabel: the y label.
        title: optional title.
        order: layer names from input to output (a trial's ``layers``).
        later: the same at a later time (e.g. the last epoch): drawn as a second panel beside
            the first, on the same y scale.
        titles: the two panels' titles when ``later`` is given.
    """
    panels = [groups] if later is None else [groups, later]
    fig, axes = new_figure(len(panels), width=7.0 if later is None else 4.8, height=3.6)
    layers = layer_order((layer for per in panels for g in per.values() for layer in g), order)
    positives = [v for per in panels for g in per.values() for vs in g.values()
                 for v in finite(np.atleast_1d(vs)) if v > 0]
    floor = min(positives) / 10 if positives else 1e-12
    if not layers:
        placeholder(axes[0][0], "no gradient norms recorded")
        return fig
    for ax, per in zip(axes[0], panels):
        _grad_panel(ax, per, layers, floor)
    axes[0][0].set_ylabel(ylabel)
    if later is not None:
        for ax, name in zip(axes[0], titles):
            ax.set_title(name, fontsize="medium")
        top = max(ax.get_ylim()[1] for ax in axes[0])
        for ax in axes[0]:
            ax.set_ylim(floor / 2, top)
    legend(axes[0][-1], len(groups))
    if title:
        fig.suptitle(title)
    return fig


def _matrix(series: Mapping[str, Mapping[int, float]], order: Sequence[str] | None = None):
    layers = layer_order(series, order)
    epochs = sorted({int(e) for per in series.values() for e in per})
    m = np.full((len(layers), len(epochs)), np.nan)
    col = {e: j for j, e in enumerate(epochs)}
    for i, layer in enumerate(layers):
        for e, v in series[layer].items():
            if v is not None:
                m[i, col[int(e)]] = float(v)
    return layers, epochs, m


def unit_health_heatmap(dead: Mapping[str, Mapping[int, float]],
                        saturated: Mapping[str, Mapping[int, float]] | None = None,
                        title: str | None = None, order: Sequence[str] | None = None) -> Figure:
    """Share of dead (and saturated) units per layer over training, as layer × epoch heatmaps.

    Args:
        dead: activation layer -> {epoch -> dead_frac in [0, 1]}.
        saturated: the same for ``sat_frac`` (bounded activations only); a second panel is drawn
            when it holds any layer.
        title: optional title.
        order: layer names from input to output (rows top to bottom).
    """
    panels = [("dead units (share)", dead)]
    if saturated:
        panels.append(("saturated units (share)", saturated))
    fig, axes = new_figure(len(panels), width=4.4, height=2.9)
    for (name, series), ax in zip(panels, axes[0]):
        if not series:
            placeholder(ax, f"no {name} recorded")
            continue
        layers, epochs, m = _matrix(series, order)
        im = ax.imshow(m, aspect="auto", cmap="magma", vmin=0.0, vmax=1.0, interpolation="nearest",
                       origin="upper")
        ax.set_yticks(range(len(layers)), layers)
        ticks = np.unique(np.linspace(0, len(epochs) - 1, min(6, len(epochs))).round().astype(int))
        ax.set_xticks(ticks, [str(epochs[t]) for t in ticks])
        ax.set_xlabel("epoch")
        ax.set_title(name, fontsize="medium")
        fig.colorbar(im, ax=ax, shrink=0.85)
    if title:
        fig.suptitle(title)
    return fig


def unit_health_grid(groups: Mapping[str, Mapping[str, Mapping[int, float]]],
                     what: str = "dead units (share)", order: Sequence[str] | None = None) -> Figure:
    """Small multiples: one layer × epoch heatmap per group, on one shared 0-1 colour scale.

    Args:
        groups: group label -> {activation layer -> {epoch -> share in [0, 1]}}.
        what: the colour bar's label.
        order: layer names from input to output (rows top to bottom).
    """
    n = max(1, len(groups))
    cols = min(n, 2)
    fig, axes = new_figure(cols, (n + cols - 1) // cols, width=4.6, height=2.6)
    flat = [ax for row in axes for ax in row]
    im = None
    for ax, (label, series) in zip(flat, groups.items()):
        if not series:
            placeholder(ax, "nothing recorded")
            continue
        layers, epochs, m = _matrix(series, order)
        im = ax.imshow(m, aspect="auto", cmap="magma", vmin=0.0, vmax=1.0, interpolation="nearest")
        ax.set_yticks(range(len(layers)), layers, fontsize="small")
        ticks = np.unique(np.linspace(0, len(epochs) - 1, min(5, len(epochs))).round().astype(int))
        ax.set_xticks(ticks, [str(epochs[t]) for t in ticks])
        ax.set_xlabel("epoch")
        ax.set_title(wrap(label, 56), fontsize="small")
    for ax in flat[len(groups):]:
        ax.set_visible(False)
    if not groups:
        placeholder(flat[0], f"no {what} recorded")
    elif im is not None:
        fig.colorbar(im, ax=flat[: len(groups)], shrink=0.8, label=what)
    return fig


def row_symmetry(groups: Mapping[str, Mapping[str, tuple[Sequence[float], Sequence[float]]]],
                 title: str | None = None, order: Sequence[str] | None = None) -> Figure:
    """Weight-row symmetry over training: one panel per layer, one line per group (seed 002 §1).

    ``row_symmetry`` is 0 when every row of a layer's weight is the same (zero or constant
    init: the hidden units stay clones and learn as one) and about 1 when rows differ as much
    as random ones.

    Args:
        groups: group label -> {layer -> (epochs, values)}.
        title: optional title.
        order: layer names from input to output (the first four get a panel).
    """
    layers = layer_order((layer for per in groups.values() for layer in per), order)[:4]
    fig, axes = new_figure(max(1, len(layers)), width=3.6, height=3.0)
    if not layers:
        placeholder(axes[0][0], "no row_symmetry recorded")
        return fig
    for ax, layer in zip(axes[0], layers):
        for g, (label, per) in enumerate(groups.items()):
            if layer in per:
                x, y = per[layer]
                ax.plot(list(x), list(y), color=color(g), lw=1.6, label=wrap(label))
        ax.set_title(layer, fontsize="medium")
        ax.set_xlabel("epoch")
        ax.set_ylim(-0.05, max(1.1, ax.get_ylim()[1]))
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("row symmetry (0 = identical rows)")
    legend(axes[0][-1], len(groups))
    if title:
        fig.suptitle(title)
    return fig
