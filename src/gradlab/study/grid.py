"""Sweep expansion: axes of values -> the list of assignments a study runs.

An *assignment* maps dotted config keys to one value each, e.g.
``{"model.act": "elu", "train.optimizer": "adam"}``. Three modes:

- ``grid``: every combination (the product of the axes, first axis slowest);
- ``zip``: the i-th value of every axis together (all axes must have the same length);
- ``random``: ``samples`` distinct combinations drawn from the grid with a fixed seed, so the
  same study file always runs the same trials.
"""

from __future__ import annotations

import itertools
import random
from typing import Any

from gradlab.errors import ConfigError

MODES = ("grid", "zip", "random")


def grid_size(axes: dict[str, list]) -> int:
    """Number of combinations in the full grid."""
    size = 1
    for values in axes.values():
        size *= len(values)
    return size


def expand_axes(
    axes: dict[str, list],
    mode: str = "grid",
    samples: int | None = None,
    seed: int = 0,
) -> list[dict]:
    """Expand sweep axes into assignments.

    Args:
        axes: dotted key -> list of values, in file order.
        mode: "grid", "zip" or "random".
        samples: how many combinations ``random`` draws (at most the grid size).
        seed: the seed of the ``random`` draw.

    Raises:
        ConfigError: unknown mode, empty axis, zip axes of unequal lengths, bad ``samples``.
    """
    if mode not in MODES:
        raise ConfigError(f"sweep_mode {mode!r} is not one of {', '.join(MODES)}")
    if not axes:
        return [{}]
    for key, values in axes.items():
        if not isinstance(values, list) or not values:
            raise ConfigError(
                f"sweep axis {key!r} must be a non-empty list of values, got {values!r}"
            )
    keys = list(axes)
    if mode == "zip":
        lengths = {k: len(v) for k, v in axes.items()}
        if len(set(lengths.values())) > 1:
            shown = ", ".join(f"{k}: {n}" for k, n in lengths.items())
            raise ConfigError(
                f"sweep_mode 'zip' needs axes of equal length, got {shown}; "
                "use sweep_mode = 'grid' for every combination"
            )
        return [dict(zip(keys, values)) for values in zip(*axes.values())]
    if mode == "grid":
        return [dict(zip(keys, values)) for values in itertools.product(*axes.values())]
    total = grid_size(axes)
    if samples is None or isinstance(samples, bool) or not isinstance(samples, int) or samples < 1:
        raise ConfigError(
            f"sweep_mode 'random' needs samples = a positive integer, got {samples!r}"
        )
    if samples > total:
        raise ConfigError(
            f"samples = {samples} is more than the {total} combinations of the grid; "
            f"use samples <= {total} or sweep_mode = 'grid'"
        )
    picked = sorted(random.Random(seed).sample(range(total), samples))
    return [_combination(axes, i) for i in picked]


def _combination(axes: dict[str, list], index: int) -> dict:
    """The ``index``-th combination of the grid in ``itertools.product`` order, without building
    the others (a random draw from a grid of 10^9 must not list it)."""
    out = {}
    for key, values in reversed(list(axes.items())):  # the last axis varies fastest
        index, digit = divmod(index, len(values))
        out[key] = values[digit]
    return {key: out[key] for key in axes}


def same_value(a: Any, b: Any) -> bool:
    """Equality of config values, with spec strings compared in canonical form."""
    if isinstance(a, str) and isinstance(b, str):
        from gradlab.components.spec import canonical

        try:
            return canonical(a) == canonical(b)
        except ConfigError:
            return a.strip() == b.strip()
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return float(a) == float(b)
    return a == b
