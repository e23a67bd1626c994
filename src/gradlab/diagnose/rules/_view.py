"""A read-only view over vitals and layers that every rule shares.

Rules only use the public accessors of :class:`gradlab.watch` vitals (``series``, ``stats``) and the
``LayerInfo`` fields; this module turns them into plain Python lists, sorts layers in forward order
and answers "is this stat there at all" without raising, so a rule reads like its definition.
"""

from __future__ import annotations

import math
from typing import Any, Iterable


def info(layer: Any, name: str, default: Any = None) -> Any:
    """A field of a LayerInfo, which may be a dataclass or (from a stored trial) a dict."""
    if isinstance(layer, dict):
        return layer.get(name, default)
    return getattr(layer, name, default)


def _floats(values: Iterable) -> list[float]:
    if hasattr(values, "tolist"):
        values = values.tolist()
    return [float(v) for v in values]


class View:
    """Vitals and layers, in forward order, with forgiving accessors.

    Args:
        vitals: an object with ``series(layer, stat) -> (steps, values)`` and ``stats(layer)``.
        layers: the monitored layers (``LayerInfo`` objects or dicts).
    """

    def __init__(self, vitals: Any, layers: Iterable[Any]):
        self.vitals = vitals
        self.layers = sorted(
            list(layers),
            key=lambda layer: (info(layer, "order") if info(layer, "order") is not None else math.inf),
        )

    def of_kind(self, kind: str) -> list[Any]:
        """Layers of kind ``"activation"`` or ``"param"``, in forward order."""
        return [layer for layer in self.layers if info(layer, "kind") == kind]

    def stats(self, path: str) -> set[str]:
        try:
            return set(self.vitals.stats(path))
        except (KeyError, LookupError):
            return set()

    def series(self, path: str, stat: str) -> tuple[list[int], list[float]]:
        """``(steps, values)`` as lists; empty lists when the stat was never recorded."""
        if stat not in self.stats(path):
            return [], []
        try:
            steps, values = self.vitals.series(path, stat)
        except (KeyError, LookupError):
            return [], []
        return [int(s) for s in _floats(steps)], _floats(values)

    def finite_series(self, path: str, stat: str) -> tuple[list[int], list[float]]:
        """Like :meth:`series` without the NaN/Inf points (a stat undefined at that step)."""
        steps, values = self.series(path, stat)
        pairs = [(s, v) for s, v in zip(steps, values) if math.isfinite(v)]
        return [s for s, _ in pairs], [v for _, v in pairs]

    def loss(self) -> tuple[list[int], list[float]]:
        """The logged training loss (model-wide layer ``""``)."""
        return self.series("", "loss")

    def main_act(self) -> str | None:
        """The activation the network mostly uses (what an activation fix would replace)."""
        names = [info(a, "act") for a in self.of_kind("activation") if info(a, "act")]
        return max(sorted(set(names)), key=names.count) if names else None

    def is_terminal(self, layer: Any) -> bool:
        """True for an activation after which no parametric layer runs (the model's output)."""
        order = info(layer, "order")
        if order is None:
            return False
        return not any(
            info(p, "order") is not None and info(p, "order") > order for p in self.of_kind("param")
        )


def held_share(view: View, stat: str, config: dict) -> tuple[float, int] | None:
    """``(mean share, first step it was above 0)`` of a model-wide share vital that holds: seen on
    at least ``config["min_reports"]`` reports, above 0 on the last, ``config["min_share"]`` on average.

    The loop checks (``grad_not_reset``, ``trained_in_eval``) publish such shares; a loop bug holds
    on every step after it starts, a correct loop reads 0 everywhere.
    """
    steps, shares = view.finite_series("", stat)
    if len(shares) < config["min_reports"] or shares[-1] <= 0:
        return None
    share = sum(shares) / len(shares)
    if share < config["min_share"]:
        return None
    return share, next(s for s, v in zip(steps, shares) if v > 0)


def tail(values: list, frac: float, minimum: int = 1) -> list:
    """The last ``frac`` of ``values`` (at least ``minimum`` items, at most all of them)."""
    n = max(minimum, int(math.ceil(len(values) * frac)))
    return values[-n:] if values else []


def median(values: list[float]) -> float:
    """The median of a non-empty list (NaN for an empty one)."""
    if not values:
        return math.nan
    s = sorted(values)
    mid = len(s) // 2
    return s[mid] if len(s) % 2 else 0.5 * (s[mid - 1] + s[mid])


def mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else math.nan
