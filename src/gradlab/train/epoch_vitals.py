"""Rows a trial reports about its watched layers: vitals summarised per epoch, the share of dead
units at the end, and each layer's description as a dict (used by ordinary and GAN trials)."""

from __future__ import annotations

from dataclasses import asdict, is_dataclass
from typing import Any


def epoch_vitals(rows: list[dict], epoch_steps: list[tuple[int, int]]) -> list[dict]:
    """Summarise step-wise vitals per epoch: for each layer/stat, the last value recorded at or
    before the epoch's last step (carried forward over epochs with no new record).

    Args:
        rows: ``{"step", "layer", "stat", "value"}`` from the watch; ``step`` counts optimizer
            steps from 0, so a row of step ``s`` was recorded during the ``s+1``-th step.
        epoch_steps: ``(epoch, steps done at that epoch's end)`` pairs in order.
    """
    series: dict[tuple[str, str], list[tuple[int, float]]] = {}
    for row in rows:
        series.setdefault((row["layer"], row["stat"]), []).append((row["step"], row["value"]))
    out = []
    for (layer, stat), points in series.items():
        points.sort(key=lambda p: p[0])
        steps, values = zip(*points)
        out += [{"epoch": epoch, "layer": layer, "stat": stat, "value": value}
                for epoch, value in carried(list(steps), list(values), epoch_steps)]
    out.sort(key=lambda r: (r["epoch"], r["layer"], r["stat"]))
    return out


def epoch_series(vitals: Any, epoch_steps: list[tuple[int, int]]) -> dict[tuple[str, str], list[tuple[int, float]]]:
    """:func:`epoch_vitals` of a :class:`~gradlab.watch.vitals.Vitals`, by series and without
    building a row per recorded point: ``{(layer, stat): [(epoch, value), ...]}``."""
    out = {}
    picks: dict[tuple[int, ...], list[tuple[int, int]]] = {}  # series recorded at the same steps share them
    for layer in vitals.layers():
        for stat in vitals.stats(layer):
            steps, values = vitals.series(layer, stat)
            key = tuple(steps)
            pick = picks.get(key)
            if pick is None:
                pick = picks[key] = _picks(steps, epoch_steps)
            if pick:
                out[(layer, stat)] = [(epoch, values[j]) for epoch, j in pick]
    return out


def carried(steps: list[int], values: list[float], epoch_steps: list[tuple[int, int]]) -> list[tuple[int, float]]:
    """``(epoch, value)``: the last value of sorted ``steps`` before each epoch's end, carried forward."""
    return [(epoch, values[j]) for epoch, j in _picks(steps, epoch_steps)]


def _picks(steps: list[int], epoch_steps: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """``(epoch, index)`` of the last of sorted ``steps`` under each epoch's end (once there is one)."""
    out = []
    i, n = 0, len(steps)
    for epoch, done in epoch_steps:
        while i < n and steps[i] < done:
            i += 1
        if i:
            out.append((epoch, i - 1))
    return out


def dead_share(vitals: Any, prefix: str = "") -> float:
    """Mean over the activation layers under ``prefix`` of their last ``dead_frac`` (0 if none).

    ``vitals``: per-epoch rows (:func:`epoch_vitals`) or series (:func:`epoch_series`).
    """
    last: dict[str, tuple[int, float]] = {}
    rows = ({"layer": layer, "stat": stat, "epoch": e, "value": v}
            for (layer, stat), points in vitals.items() if stat == "dead_frac" for e, v in points[-1:]
            ) if isinstance(vitals, dict) else vitals
    for r in rows:
        if (r["stat"] == "dead_frac" and r["layer"].startswith(prefix)
                and (r["layer"] not in last or r["epoch"] >= last[r["layer"]][0])):
            last[r["layer"]] = (r["epoch"], r["value"])
    return sum(v for _, v in last.values()) / len(last) if last else 0.0


def as_dict(obj: Any) -> dict:
    """A dataclass or a plain object (a watched layer's info) as a dict."""
    if is_dataclass(obj) and not isinstance(obj, type):
        return asdict(obj)
    return dict(vars(obj)) if hasattr(obj, "__dict__") else dict(obj)
