"""Report figures drawn per group: unit health heatmaps, row symmetry, replayed activations."""

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


def replay_figures(data: ReportData, limit: int) -> list[FigureItem]:
    """Activation histograms and the colorful dimension, from short re-runs of trials.

    One trial (the lowest seed) of each of the first ``limit`` groups is replayed.
    """
    from gradlab.report.rerun import record_activations

    records, errors = {}, []
    for g in data.groups[:limit]:
        ids = done(data, g) or g.trial_ids
        if not ids:
            continue
        trial = data.trial(ids[0])
        try:
            records[g.label] = record_activations(trial.get("config") or g.config, int(trial["seed"]))
        except Exception as exc:  # noqa: BLE001 - shown on the page, see safe()
            errors.append(f"{g.label}: {type(exc).__name__}: {exc}")
    items = []
    if errors:
        items.append(FigureItem("Activation replays", "", None, "; ".join(errors)))
    finals = {label: np.concatenate(list(r.final.values())) for label, r in records.items() if r.final}
    if finals:
        items.append(safe("Activation histograms, positive and negative", "Outputs of every activation "
                          "layer on the dev inputs after a short replay of one trial per group "
                          "(lowest seed); a missing negative side is a ReLU's zeroed half.",
                          lambda: F.activation_histograms(finals)))
    for label, r in records.items():
        if r.snapshots:
            items.append(safe(f"Activations over time ({r.layer}): {label}", "The layer's histogram of "
                              "outputs on the dev inputs at each replayed epoch (colour: log count), "
                              "negative values kept; a band collapsing onto 0 is a layer dying.",
                              functools.partial(F.colorful_dimension, r.snapshots, r.epochs)))
    return items
