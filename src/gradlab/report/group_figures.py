"""Report figures drawn per group: unit health heatmaps, row symmetry, recorded activations."""

from __future__ import annotations

import functools

import numpy as np

from gradlab.report import figures as F
from gradlab.report.figure_items import FigureItem, done, mean_series, safe, series
from gradlab.report.page_data import GroupInfo, ReportData

QUIET = 0.01  # a group whose dead and saturated shares never reach this gets no heatmap


def _limited(data: ReportData, limit: int) -> tuple[list[GroupInfo], str]:
    groups = data.groups[:limit]
    note = "" if len(data.groups) <= limit else f" (first {limit} of {len(data.groups)} groups)"
    return groups, note


def health_figures(data: ReportData, limit: int) -> list[FigureItem]:
    """A dead/saturated heatmap per group, where the study watched activation layers."""
    groups, note = _limited(data, limit)
    items, quiet = [], []
    for g in groups:
        ids = done(data, g)
        dead = mean_series(series(data, ids, "dead_frac"))
        sat = mean_series(series(data, ids, "sat_frac"))
        if _peak(dead) < QUIET and _peak(sat) < QUIET:
            quiet.append(g.label)  # a black heatmap says less than one sentence
            continue
        sat = sat if _peak(sat) >= QUIET else {}
        items.append(safe(f"Dead and saturated units: {g.label}",
                          "Share of units per activation layer (rows) and epoch (columns) that passed "
                          "no gradient (dead) or sat on a flat part of a bounded activation "
                          f"(saturated), mean over seeds{note}.",
                          functools.partial(F.unit_health_heatmap, dead, sat or None)))
    if quiet:
        items.append(FigureItem("Dead and saturated units", "", None,
                                f"no heatmap for {', '.join(quiet)}: under {QUIET:.0%} of units were "
                                "ever dead or saturated in any layer (nothing to see)"))
    return items


def _peak(per_layer: dict[str, dict[int, float]]) -> float:
    return max((v for per in per_layer.values() for v in per.values()), default=0.0)


def symmetry_figure(data: ReportData) -> list[FigureItem]:
    """Row symmetry over training, one line per group (only when the study recorded it)."""
    groups = {}
    for g in data.groups:
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
                 lambda: F.row_symmetry(groups))]


def group_figures(data: ReportData, limit: int) -> list[FigureItem]:
    """The per-group figures built from stored vitals."""
    return health_figures(data, limit) + symmetry_figure(data)


def activation_record_figures(data: ReportData, limit: int) -> list[FigureItem]:
    """Activation histograms and the colorful dimension, from the snapshots the trials stored.

    One trial (the lowest seed done) of each of the first ``limit`` groups: its activations were
    recorded on the dev inputs while it trained (``gradlab.train.activation_record``); nothing
    is trained here.
    """
    finals, over_time, missing = {}, {}, []
    for g in data.groups[:limit]:
        rows = next((data.activations[t] for t in done(data, g) if data.activations.get(t)), None)
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
    for label, (layer, epochs, snapshots) in over_time.items():
        items.append(safe(f"Activations over time ({layer}): {label}", "The layer's histogram of "
                          "outputs on the dev inputs at epochs recorded during training (colour: log "
                          "count), negative values kept; a band collapsing onto 0 is a layer dying.",
                          functools.partial(F.colorful_dimension, snapshots, epochs)))
    return items
