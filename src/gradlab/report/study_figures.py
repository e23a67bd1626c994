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
from gradlab.report.article_figures import article_figures
from gradlab.report.article_items import article_items
from gradlab.report.figure_items import FigureItem, done, safe, series
from gradlab.report.group_figures import activation_record_figures, group_figures, shown
from gradlab.report.page_data import ReportData

__all__ = ["FigureItem", "build_figures"]



def results_figure(data: ReportData) -> Figure:
    """Every group in one picture: seeds, mean, 95 % interval and verdict, best on top."""
    values = {g.label: [(data.trial(t).get("metrics") or {}).get(data.metric) for t in done(data, g)]
              for g in data.groups}
    rows = [{"label": r.label, "values": [v for v in values.get(r.label, []) if v is not None],
             "mean": r.mean, "ci_low": r.ci_low, "ci_high": r.ci_high, "verdict": r.verdict}
            for r in data.comparison]
    return F.results_by_group(rows, data.metric, data.higher_is_better)


def curves_figure(data: ReportData) -> Figure | None:
    """Training curves of the shown groups (the baseline and the best few)."""
    groups = {g.label: [data.history[t] for t in done(data, g) if data.history.get(t)]
              for g in shown(data)}
    keys = {f"{split}_{stat}" for split in ("train", "dev") for stat in ("loss", data.metric_kind)}
    if not any(keys & set(row) for runs in groups.values() for run in runs for row in run):
        return None  # e.g. a GAN's history (d_loss, g_loss): no empty axes on the page
    return F.training_curves({k: v for k, v in groups.items() if v}, metric=data.metric_kind)


def _grad_norms(data: ReportData, which: str) -> dict[str, dict[str, list[float]]]:
    groups: dict[str, dict[str, list[float]]] = {}
    for g in shown(data):
        per_layer: dict[str, list[float]] = defaultdict(list)
        for tid in done(data, g):
            for layer, per in series(data, [tid], "grad_norm").items():
                epoch = min(per) if which == "first" else max(per)
                per_layer[layer].extend(per[epoch])
        if per_layer:
            groups[g.label] = dict(per_layer)
    return groups


def grad_norm_figure(data: ReportData) -> Figure | None:
    """Gradient norm per layer, input to output, at the first and the last recorded epoch."""
    first, last = _grad_norms(data, "first"), _grad_norms(data, "last")
    return F.grad_norm_by_layer(first, order=data.layers, later=last) if first else None


def sweep_figures(data: ReportData) -> list[FigureItem]:
    """A metric-vs-axis figure for each numeric swept key with three values or more.

    A categorical axis (activations, optimizers) is read better in the one-row-per-group figure;
    an axis with one value compares nothing.
    """
    from gradlab.study.stats import metric_bounds, summarize

    items = []
    for axis, axis_values in data.axes.items():
        if len(axis_values) < 3 or not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                           for v in axis_values):
            continue
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
            s = summarize([v for _, v in pairs], bounds=metric_bounds(data.metric))
            summary.append({"x": pairs[0][0], "mean": s.mean, "ci_low": s.ci_low, "ci_high": s.ci_high})
        if points:
            items.append(safe(f"{data.metric} against {axis}",
                               "Each dot is one seed; the line is the mean over every trial with that "
                               "value, the band its 95 % t-interval (pooled over the other axes).",
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
    """All figures of a study report, in page order: the answer first, the mechanisms after.

    Args:
        data: the study.
        activations: include the figures of the activations the trials recorded (histograms).
    """
    n = len(shown(data))
    which = ("" if n == len(data.groups) else
             f" Shown: the baseline and the best groups ({n} of {len(data.groups)}).")
    items = [safe(f"{data.metric} of every group", "Each dot is one seed; the diamond is the mean and "
                  "the bar its 95 % interval; green: better than its baseline after Holm's correction, "
                  "red: worse, grey: no clear difference or too few seeds, black: a baseline "
                  "(dotted line).", lambda: results_figure(data))]
    items += article_figures(data)  # the article's own figure, for a built-in study
    items += article_items(data)  # the articles' figures, where the study stored their data
    items += sweep_figures(data)
    items.append(safe("Training curves", "Train (solid) and dev (dashed) loss and "
                      f"{data.metric_kind} per epoch: the median over seeds, the band from the 25th "
                      f"to the 75th percentile.{which}", lambda: curves_figure(data)))
    items.append(safe("Gradient norm by layer", "L2 norm of each layer's gradient, input to output, "
                      "at the first and the last recorded epoch (log axis; geometric mean over seeds, "
                      "whiskers the range). Lines that fall towards the input are vanishing gradients; "
                      f"open triangles on the floor are layers with no gradient at all.{which}",
                      lambda: grad_norm_figure(data)))
    items += group_figures(data)
    if activations:
        items += activation_record_figures(data)
    acts = _study_activations(data)
    if len(acts) > 1:
        items.append(safe("Activation shapes and derivatives", "f(z) and f'(z) of the study's "
                           "activations; where f' is 0 a unit passes no gradient back.",
                           lambda: F.activation_shapes(acts)))
        items.append(safe("Output mean shift on N(0, 1) inputs", "What each activation does to "
                           "zero-mean inputs: a shifted mean is a bias the next layer must absorb.",
                           lambda: F.output_mean_shift(acts)))
    return items
