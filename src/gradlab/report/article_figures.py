"""The article's own figure for a built-in study, drawn from what its trials stored.

Each built-in study that reproduces a figure or a table of a seed article registers one builder
here under the study's name: ``ARTICLE_FIGURES["gan-slope"] = gan_slope_figures``. A builder reads
only the :class:`ReportData` (metrics, histories, vitals of finished trials) and returns figure
items; nothing is trained while a report is drawn.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from gradlab.report.figure_items import FigureItem, done, safe
from gradlab.report.page_data import GroupInfo, ReportData

ARTICLE_FIGURES: dict[str, Callable[[ReportData], list[FigureItem]]] = {}


def article_figures(data: ReportData) -> list[FigureItem]:
    """The study's article figures (none for a study without a registered builder)."""
    # the modules that register builders (one per study or family of studies)
    from gradlab.report import (  # noqa: F401
        defaults_figures,
        gan_figures,
        regularization_figures,
        slope_depth_figures,
        transfer_figures,
    )

    builder = ARTICLE_FIGURES.get(data.name)
    return builder(data) if builder is not None else []


def metric_values(data: ReportData, group: GroupInfo, key: str) -> list[float]:
    """The finite values of one metric over a group's finished trials."""
    out = []
    for tid in done(data, group):
        value = (data.trial(tid).get("metrics") or {}).get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and np.isfinite(value):
            out.append(float(value))
    return out


def mean_of(data: ReportData, group: GroupInfo, key: str) -> float | None:
    """The mean of a metric over a group's finished trials (a drawing aid), None if none."""
    values = metric_values(data, group, key)
    return float(np.mean(values)) if values else None


def setting(group: GroupInfo, key: str) -> Any:
    """A group's value of a config key (dotted), from its full configuration."""
    node: Any = group.config
    for part in key.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def short_label(value: object) -> str:
    """A compact axis label: ``leaky_relu(0.2)`` -> ``0.2``, ``scheduled_leaky_relu(0.3, 0.1)``
    -> ``0.3→0.1``; anything else as printed."""
    from gradlab.components.spec import parse_spec
    from gradlab.errors import ConfigError

    if not isinstance(value, str):
        return str(value)
    try:
        spec = parse_spec(value)
    except ConfigError:
        return value
    args = [*spec.args, *spec.kwargs.values()]
    if spec.name in ("leaky_relu", "learnable_leaky_relu") and len(args) == 1:
        return f"{args[0]:g}" if isinstance(args[0], (int, float)) else value
    if spec.name == "scheduled_leaky_relu" and len(args) >= 2:
        return f"{args[0]:g}→{args[1]:g}"
    return value


def ordered(values: Sequence[object]) -> list[str]:
    """Distinct short labels in first-seen order."""
    out: list[str] = []
    for v in values:
        label = short_label(v)
        if label not in out:
            out.append(label)
    return out


def register(name: str) -> Callable:
    """Decorator: register a builder as the article figure of the built-in study ``name``."""
    def deco(fn: Callable[[ReportData], list[FigureItem]]) -> Callable:
        ARTICLE_FIGURES[name] = fn
        return fn
    return deco


__all__ = ["ARTICLE_FIGURES", "FigureItem", "article_figures", "mean_of", "metric_values", "ordered",
           "register", "safe", "setting", "short_label"]
