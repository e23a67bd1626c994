"""The recorded history of a watch: one thinned series per (layer, stat).

Memory stays bounded however long training runs: a series keeps at most ``max_points`` points;
when full it drops every other point and from then on keeps one new point in two (then four,
...), so it always spans the whole run at an even resolution. Thinning never drops a
non-finite value in favour of a finite one, and ``last()`` is always the newest value.
"""

from __future__ import annotations

import math
from array import array
from typing import Iterable


class Series:
    """Steps and values of one statistic, thinned to at most ``cap`` points."""

    __slots__ = ("steps", "values", "stride", "seen", "cap", "last_step", "last_value", "_held")

    def __init__(self, cap: int):
        self.steps = array("q")
        self.values = array("d")
        self.stride = 1
        self.seen = 0
        self.cap = max(4, cap)
        self.last_step: int | None = None
        self.last_value = math.nan
        self._held: tuple[int, float] | None = None  # a non-finite value waiting for its slot

    def add(self, step: int, value: float) -> None:
        self.last_step, self.last_value = step, value
        if self.stride == 1 and self._held is None:  # the common case, before the first thinning
            self.seen += 1
            self.steps.append(step)
            self.values.append(value)
            if len(self.values) > self.cap:
                self._halve()
            return
        keep = self.seen % self.stride == 0
        self.seen += 1
        if not math.isfinite(value) and not keep:
            self._held = (step, value)
        if not keep:
            return
        if self._held is not None and math.isfinite(value):
            step, value = self._held
        self._held = None
        self.steps.append(step)
        self.values.append(value)
        if len(self.values) > self.cap:
            self._halve()

    def _halve(self) -> None:
        steps, values = array("q"), array("d")
        for i in range(0, len(self.values) - 1, 2):
            a, b = self.values[i], self.values[i + 1]
            j = i + 1 if (math.isfinite(a) and not math.isfinite(b)) else i
            steps.append(self.steps[j])
            values.append(self.values[j])
        if len(self.values) % 2:
            steps.append(self.steps[-1])
            values.append(self.values[-1])
        self.steps, self.values = steps, values
        self.stride *= 2


class Vitals:
    """Per-layer statistics over training steps.

    Args:
        max_points: the most points one (layer, stat) series keeps (see the module docstring).
    """

    def __init__(self, max_points: int = 512):
        self.max_points = max_points
        self._series: dict[str, dict[str, Series]] = {}
        self._flat: dict[tuple[str, str], Series] = {}  # the same series, by (layer, stat)
        self._hist: dict[tuple[str, str], list[tuple[int, list[float], list[float]]]] = {}
        self.max_histograms = 64

    def add(self, step: int, layer: str, stat: str, value: float) -> None:
        """Record ``value`` of ``stat`` for ``layer`` at ``step``."""
        by_stat = self._series.setdefault(layer, {})
        series = by_stat.get(stat)
        if series is None:
            series = by_stat[stat] = Series(self.max_points)
        series.add(int(step), float(value))

    def add_many(self, step: int, pairs: list[tuple[str, str]], values: list[float]) -> None:
        """Record ``values[i]`` of ``pairs[i] == (layer, stat)`` at ``step`` (one report's rows)."""
        flat = self._flat
        step = int(step)
        for pair, value in zip(pairs, values):
            series = flat.get(pair)
            if series is None:
                by_stat = self._series.setdefault(pair[0], {})
                series = by_stat.get(pair[1])
                if series is None:
                    series = by_stat[pair[1]] = Series(self.max_points)
                flat[pair] = series
            series.add(step, float(value))

    def add_histogram(self, step: int, layer: str, stat: str, edges: list[float], counts: list[float]) -> None:
        """Record a histogram (``len(edges) == len(counts) + 1``); keeps the newest few."""
        items = self._hist.setdefault((layer, stat), [])
        items.append((int(step), list(edges), list(counts)))
        if len(items) > self.max_histograms:
            del items[0 : len(items) - self.max_histograms : 2]

    def histograms(self, layer: str, stat: str) -> list[tuple[int, list[float], list[float]]]:
        """``[(step, edges, counts)]`` recorded for ``layer`` and ``stat`` (``"out"``/``"pre"``)."""
        return list(self._hist.get((layer, stat), []))

    def histogram_keys(self) -> list[tuple[str, str]]:
        """The (layer, stat) pairs that have histograms."""
        return list(self._hist)

    def layers(self) -> list[str]:
        """Layer names with at least one statistic, in first-recorded order."""
        return list(self._series)

    def stats(self, layer: str) -> list[str]:
        """Statistic names recorded for ``layer``."""
        return list(self._series.get(layer, {}))

    def series(self, layer: str, stat: str) -> tuple[list[int], list[float]]:
        """``(steps, values)`` of one statistic; empty lists when it was never recorded."""
        s = self._series.get(layer, {}).get(stat)
        if s is None:
            return [], []
        steps, values = list(s.steps), list(s.values)
        if s.last_step is not None and (not steps or steps[-1] != s.last_step):
            steps.append(s.last_step)
            values.append(s.last_value)
        return steps, values

    def last(self, layer: str, stat: str) -> float | None:
        """The newest value of a statistic, or None."""
        s = self._series.get(layer, {}).get(stat)
        return None if s is None or s.last_step is None else s.last_value

    def rows(self) -> list[dict]:
        """Every kept point as ``{"step", "layer", "stat", "value"}``, ordered by step."""
        out: list[dict] = []
        for layer, by_stat in self._series.items():
            for stat in by_stat:
                steps, values = self.series(layer, stat)
                out.extend({"step": s, "layer": layer, "stat": stat, "value": v} for s, v in zip(steps, values))
        out.sort(key=lambda r: r["step"])
        return out

    @classmethod
    def from_rows(cls, rows: Iterable[dict], max_points: int = 512) -> "Vitals":
        """Rebuild vitals from rows (e.g. read back from a store or a JSONL file)."""
        v = cls(max_points)
        for r in sorted(rows, key=lambda r: r["step"]):
            v.add(r["step"], r["layer"], r["stat"], r["value"])
        return v

    def __len__(self) -> int:
        return sum(len(by_stat) for by_stat in self._series.values())

    def __repr__(self) -> str:
        return f"Vitals({len(self._series)} layers, {len(self)} series)"
