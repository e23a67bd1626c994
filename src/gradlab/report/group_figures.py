"""Report figures drawn per group: unit health heatmaps, row symmetry, recorded activations."""

from __future__ import annotations

import functools

import numpy as np

from gradlab.report import figures as F
from gradlab.report.figure_items import FigureItem, done, mean_series, safe, series
from gradlab.report.page_data import GroupInfo, ReportData
from gradlab.study.stored_points import is_point_row

QUIET = 0.01  # a group whose dead and saturated shares never reach this gets no heatmap


def shown(data: ReportData) -> list[GroupInfo]:
    """The groups the curve and per-layer figures draw (the baseline and the best few)."""
    wanted = set(data.shown) if data.shown else {g.label for g in data.groups[:4]}
    return [g for g in data.groups if g.label in wanted]


def _note(data: ReportData, groups: list[GroupInfo]) -> str:
    return ("" if len(groups) == len(data.groups) else
            f" Shown: the baseline and the best groups, {len(groups)} of {len(data.groups)}; every "
            "group is in the table and the first figure.")


def health_figures(data: ReportData, limit: int = 0) -> list[FigureItem]:
    """Dead (and saturated) units per layer and epoch: one small heatmap per shown group.

    ``limit`` is kept for callers of the old signature and ignored: the shown groups decide.
    """
    groups = shown(data)
    dead, sat, quiet = {}, {}, []
    for g in groups:
        ids = done(data, g)
        d = mean_series(series(data, ids, "dead_frac"))
        s = mean_series(series(data, ids, "sat_frac"))
        if _peak(d) < QUIET and _peak(s) < QUIET:
            quiet.append(g.label)  # a black heatmap says less than one sentence
            continue
        dead[g.label] = d
        if _peak(s) >= QUIET:
            sat[g.label] = s
    items = []
    if dead:
        items.append(safe("Dead units by layer and epoch", "Share of each activation layer's units "
                          "(rows, input at the top) that passed no gradient on any sample, per epoch; "
                          "mean over seeds." + _note(data, groups)
                          + (f" Never above {QUIET:.0%}: {', '.join(quiet)}." if quiet else ""),
                          functools.partial(F.unit_health_grid, dead, "dead units (share)", data.layers)))
    if sat:
        items.append(safe("Saturated units by layer and epoch", "Share of units sitting on a flat "
                          "part of a bounded activation (sigmoid, tanh), per epoch; mean over seeds.",
                          functools.partial(F.unit_health_grid, sat, "saturated units (share)", data.layers)))
    return items


def _peak(per_layer: dict[str, dict[int, float]]) -> float:
    return max((v for per in per_layer.values() for v in per.values()), default=0.0)


def symmetry_figure(data: ReportData) -> list[FigureItem]:
    """Row symmetry over training, one line per shown group (only when it says something)."""
    groups = {}
    for g in shown(data):
        per = mean_series(series(data, done(data, g), "row_symmetry"))
        if per:
            groups[g.label] = {layer: (sorted(v), [v[e] for e in sorted(v)]) for layer, v in per.items()}
    if not groups or all(all(np.allclose(y, y[0]) and y[0] > 0.5 for _, y in per.values())
                         for per in groups.values()):
        # every layer of every group stayed as diverse as random: nothing to show
        return []
    return [safe("Weight-row symmetry over training", "0 means every row of the layer's weight is the "
                 "same — the units are clones and will stay so (zero or constant init); about 1 means "
                 "rows as different as random ones. Mean over seeds.",
                 lambda: F.row_symmetry(groups, order=data.layers))]


def group_figures(data: ReportData, limit: int = 0) -> list[FigureItem]:
    """The per-group figures built from stored vitals (the shown groups; ``limit`` is ignored)."""
    return health_figures(data) + symmetry_figure(data)


def activation_record_figures(data: ReportData, limit: int = 2) -> list[FigureItem]:
    """Activation histograms and the colorful dimension, from the snapshots the trials stored.

    One trial (the lowest seed done) of each shown group: its activations were recorded on the
    dev inputs while it trained (``gradlab.train.activation_record``); nothing is trained here.
    The histograms over time are drawn for the first ``limit`` shown groups (the baseline and
    the best).
    """
    finals, over_time, missing = {}, {}, []
    for g in shown(data):
        rows = next((data.activations[t] for t in done(data, g) if data.activations.get(t)), None)
        rows = [r for r in rows or [] if not is_point_row(r)]  # a GAN's stored points are not activations
        if not rows:
            if done(data, g):
                missing.append(g.label)
            continue
        trained = [r["values"] for r in rows if r["epoch"] < 0]
        if trained:
            finals[g.label] = np.concatenate(trained)
        first = next((r["layer"] for r in rows if r["epoch"] >= 0), None)
        snaps = [r for r in rows if r["layer"] == first and r["epoch"] >= 0]
        if snaps:
            over_time[g.label] = (first, [r["epoch"] for r in snaps], [r["values"] for r in snaps])
    items = []
    if missing:
        items.append(FigureItem("Activation snapshots", "", None,
                                f"no activation snapshots stored for {', '.join(missing)} (only the lowest "
                                "seed of a configuration keeps them: it failed, or ran under an older "
                                "gradlab or an executor that does not record them; re-run the study "
                                "into a new folder to record them)"))
    if finals:
        items.append(safe("Activation histograms, positive and negative", "Outputs of every activation "
                          "layer on the dev inputs, recorded from the trained model of one trial per "
                          "group (lowest seed); a missing negative side is a ReLU's zeroed half.",
                          lambda: F.activation_histograms(finals)))
    for label, (layer, epochs, snapshots) in list(over_time.items())[:limit]:
        items.append(safe(f"Activations over time ({layer}): {label}", "The layer's histogram of "
                          "outputs on the dev inputs at epochs recorded during training (colour: log "
                          "count), negative values kept; a band collapsing onto 0 is a layer dying.",
                          functools.partial(F.colorful_dimension, snapshots, epochs)))
    return items
