"""Lookups the article figures share: a group's metric values and settings, compact labels."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from gradlab.report.figure_items import done
from gradlab.report.page_data import GroupInfo, ReportData


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
