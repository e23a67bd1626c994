"""Small pieces shared by the study figure builders: the figure item and vitals lookups."""

from __future__ import annotations

import warnings
from collections import defaultdict
from dataclasses import dataclass
from typing import Callable

import numpy as np
from matplotlib.figure import Figure

from gradlab.report.page_data import GroupInfo, ReportData


@dataclass
class FigureItem:
    """A drawn figure (or the error that stopped it) with its title and caption."""

    title: str
    caption: str
    figure: Figure | None = None
    error: str = ""

    def close(self) -> None:
        """Drop the figure's drawing memory once it is encoded."""
        if self.figure is not None:
            self.figure.clear()


def safe(title: str, caption: str, make: Callable[[], Figure | None]) -> FigureItem:
    """Draw one figure; a failure becomes a visible note on the page and a warning."""
    try:
        fig = make()
    except Exception as exc:  # one broken figure must not cost the whole report
        warnings.warn(f"report figure {title!r} failed: {exc}", RuntimeWarning, stacklevel=2)
        return FigureItem(title, caption, None, f"{type(exc).__name__}: {exc}")
    if fig is None:
        return FigureItem(title, caption, None, "the study recorded no data for it")
    return FigureItem(title, caption, fig)


def done(data: ReportData, g: GroupInfo) -> list[str]:
    """The finished trials of a group."""
    return [t for t in g.trial_ids if data.trial(t).get("status") == "done"]


def _by_stat(data: ReportData, tid: str) -> dict[str, list[tuple[str, int, float]]]:
    """A trial's vitals grouped by stat, built once per trial and kept on ``data``: the figures
    ask for several stats of the same trials, and a study holds millions of vital rows."""
    cache = data.__dict__.setdefault("_vitals_by_stat", {})
    if tid not in cache:
        grouped: dict[str, list[tuple[str, int, float]]] = defaultdict(list)
        for row in data.vitals.get(tid, []):
            if row.get("layer") and row.get("value") is not None:
                grouped[row["stat"]].append((row["layer"], int(row["epoch"]), float(row["value"])))
        cache[tid] = grouped
    return cache[tid]


def series(data: ReportData, trial_ids: list[str], stat: str) -> dict[str, dict[int, list[float]]]:
    """layer -> epoch -> values over ``trial_ids`` for one vital stat (model-wide rows skipped)."""
    out: dict[str, dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
    for tid in trial_ids:
        for layer, epoch, value in _by_stat(data, tid).get(stat, ()):
            out[layer][epoch].append(value)
    return out


def mean_series(per_layer: dict[str, dict[int, list[float]]]) -> dict[str, dict[int, float]]:
    """The mean over trials of each (layer, epoch) — a drawing aid, not a statistic."""
    return {layer: {e: float(np.mean(v)) for e, v in per.items()} for layer, per in per_layer.items()}
