"""Which figures a study report shows, and the numbers each one gets.

:func:`build_figures` reads a :class:`ReportData` and calls the figure functions of
:mod:`gradlab.report.figures`. Averages over seeds here are drawing aids; intervals come from
:mod:`gradlab.study.stats`. A figure that fails is reported on the page with its error instead
of hiding the failure or losing the rest of the report.
"""

from __future__ import annotations

import functools
from collections import defaultdict

from matplotlib.figure import Figure

from gradlab.report import figures as F
from gradlab.report.article_items import article_items
from gradlab.report.figure_items import FigureItem, done, safe, series
from gradlab.report.group_figures import activation_record_figures, group_figures
from gradlab.report.page_data import ReportData

__all__ = ["FigureItem", "build_figures"]

MAX_GROUP_FIGURES = 6  # per-group figures (heatmaps) beyond this would drown the page
MAX_ACTIVATION_GROUPS = 3  # groups whose recorded activations are drawn


def curves_figure(data: ReportData) -> Figure:
    """Training curves of every group."""
    groups = {g.label: [data.history[t] for t in done(data, g) if data.history.get(t)]
              for g in data.groups}
    return F.training_curves({k: v for k, v in groups.items() if v}, metric=data.metric_kind)


def grad_norm_figure(data: ReportData, which: str = "first") -> Figure | None:
    """Gradient norm per layer at the first (or last) recorded epoch of each trial."""
    groups: dict[str, dict[str, list[float]]] = {}
    for g in data.groups:
        per_layer: dict[str, list[float]] = defaultdict(list)
        for tid in done(data, g):
            for layer, per in series(data, [tid], "grad_norm").items():
                epoch = min(per) if which == "first" else max(per)
                per_layer[layer].extend(per[epoch])
        if per_layer:
            groups[g.label] = dict(per_layer)
    return F.grad_norm_by_layer(groups) if groups else None


def sweep_figures(data: ReportData) -> list[FigureItem]:
    """One metric-vs-axis figure per swept key (stats' intervals over the trials of each value)."""
    from gradlab.study.stats import summarize

    items = []
    for axis in data.axes:
        points, by_x = [], defaultdict(list)
        for g in data.groups:
            if axis not in g.overrides:
                continue
            x = g.overrides[axis]
            for tid in done(data, g):
                value = (data.trial(tid).get("metrics") or {}).get(data.metric)
                if value is not None:
                    points.append({"x": x, "value": float(value)})
                    by_x[repr(x)].append((x, float(value)))
        summary = []
        for pairs in by_x.values():
            s = summarize([v for _, v in pairs])
            summary.append({"x": pairs[0][0], "mean": s.mean, "ci_low": s.ci_low, "ci_high": s.ci_high})
        if points:
            items.append(safe(f"{data.metric} against {axis}",
                               "Each dot is one seed; the line or marker is the mean over every trial "
                               "with that value, the band or whiskers its 95 % t-interval.",
                               functools.partial(F.sweep_metric, points, summary, axis, data.metric)))
    return items


def _study_activations(data: ReportData) -> list[str]:
    acts = []
    for g in data.groups:
        act = (g.config.get("model") or {}).get("act")
        if isinstance(act, str) and act not in acts:
            acts.append(act)
    return acts


def build_figures(data: ReportData, *, activations: bool = True) -> list[FigureItem]:
    """All figures of a study report, in page order.

    Args:
        data: the study.
        activations: include the figures of the activations the trials recorded (histograms).
    """
    items = [safe("Training curves", "Train (solid) and dev (dashed) loss and "
                   f"{data.metric_kind} per epoch; lines are means over seeds, bands ± one std.",
                   lambda: curves_figure(data))]
    items += article_items(data)  # the seed articles' own figures, where the study stored their data
    items += sweep_figures(data)
    items.append(safe("Gradient norm by layer, first epoch", "L2 norm of each layer's gradient at "
                       "the first recorded epoch (log axis; geometric mean over seeds, whiskers the "
                       "range). Lines that fall towards the input are vanishing gradients.",
                       lambda: grad_norm_figure(data, "first")))
    items.append(safe("Gradient norm by layer, last epoch", "The same at the last recorded epoch: "
                       "open triangles on the floor are layers with no gradient at all.",
                       lambda: grad_norm_figure(data, "last")))
    items += group_figures(data, MAX_GROUP_FIGURES)
    acts = _study_activations(data)
    if acts:
        items.append(safe("Activation shapes and derivatives", "f(z) and f'(z) of the study's "
                           "activations; where f' is 0 a unit passes no gradient back.",
                           lambda: F.activation_shapes(acts)))
        items.append(safe("Output mean shift on N(0, 1) inputs", "What each activation does to "
                           "zero-mean inputs: a shifted mean is a bias the next layer must absorb.",
                           lambda: F.output_mean_shift(acts)))
    if activations:
        items += activation_record_figures(data, MAX_ACTIVATION_GROUPS)
    return items
