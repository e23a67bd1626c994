"""Shared reading of the loss curve for ``loss_not_decreasing`` and ``oscillating_loss``."""

from __future__ import annotations

import math
from dataclasses import dataclass

from gradlab.diagnose.rules._view import View, mean


@dataclass
class LossShape:
    """How a logged loss curve moved: progress from head to tail, and how rough the tail is."""

    steps: list
    values: list
    head: float        # mean of the first ``window`` share
    tail: float        # mean of the last ``window`` share
    rel_decrease: float  # (head - tail) / |head|
    roughness: float   # mean |step-to-step change| in the tail over the tail's mean level
    flips: float       # share of sign changes between consecutive changes in the tail


def loss_shape(view: View, window: float, min_points: int) -> LossShape | None:
    """The shape of the finite loss curve, or None with fewer than ``min_points`` values."""
    steps, values = view.loss()
    pairs = [(s, v) for s, v in zip(steps, values) if math.isfinite(v)]
    if len(pairs) < min_points or len(pairs) < len(values):
        return None  # too short, or non-finite (that is non_finite's business)
    steps, values = [s for s, _ in pairs], [v for _, v in pairs]
    k = max(2, int(len(values) * window))
    head, tail = mean(values[:k]), mean(values[-k:])
    end = values[-max(3, len(values) // 2):]
    diffs = [b - a for a, b in zip(end, end[1:])]
    level = abs(mean(end)) or 1.0
    roughness = mean([abs(d) for d in diffs]) / level
    signs = [d > 0 for d in diffs if d != 0]
    flips = sum(a != b for a, b in zip(signs, signs[1:])) / max(1, len(signs) - 1)
    rel = (head - tail) / abs(head) if head else 0.0
    return LossShape(steps, values, head, tail, rel, roughness, flips)
