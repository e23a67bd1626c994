"""The shape of a fit: epochs, steps and batch size; what counts as better, the best epoch and
early stopping; clipping rules."""

from __future__ import annotations

import math
from typing import Any

from gradlab.errors import ConfigError


def clip_rules(clip: Any) -> list[tuple[str, float]]:
    """Normalise ``clip`` (None, a norm, ("norm"|"value", max), a dict or a list of those)."""
    if clip is None:
        return []
    if isinstance(clip, (int, float)) and not isinstance(clip, bool):
        return [("norm", float(clip))]
    if isinstance(clip, dict):
        return [(by, float(v)) for by, v in clip.items() if v is not None]
    if isinstance(clip, tuple) and len(clip) == 2 and isinstance(clip[0], str):
        return [(clip[0], float(clip[1]))]
    if isinstance(clip, list):
        return [rule for item in clip for rule in clip_rules(item)]
    raise ConfigError(f"clip must be a max norm, ('norm'|'value', max) or a dict; got {clip!r}")


class Plan:
    """How many epochs and optimizer steps a fit runs, with which batch size."""

    def __init__(self, epochs: int, total_steps: int, batch_size: int):
        self.epochs, self.total_steps, self.batch_size = epochs, total_steps, batch_size


def make_plan(n: int, epochs: int | None, steps: int | None, batch_size: int | None) -> Plan:
    """Resolve ``epochs``/``steps`` (steps win) and ``batch_size`` (None: full batch) for ``n`` samples."""
    if n == 0:
        raise ConfigError("the training set is empty")
    for name, value in (("epochs", epochs), ("steps", steps), ("batch_size", batch_size)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise ConfigError(f"{name} must be a positive integer or None, got {value!r}")
    if epochs is None and steps is None:
        raise ConfigError("fit needs epochs= or steps=")
    bs = n if batch_size is None else min(batch_size, n)
    per_epoch = math.ceil(n / bs)
    if steps is not None:
        return Plan(math.ceil(steps / per_epoch), steps, bs)
    assert epochs is not None  # checked above: one of the two is given
    return Plan(epochs, epochs * per_epoch, bs)


def better(score: float, best: float | None, maximize: bool, min_delta: float) -> bool:
    """Whether ``score`` beats ``best`` by more than ``min_delta`` (NaN and inf never do)."""
    if score is None or not math.isfinite(score):
        return False
    if best is None:
        return True
    return score > best + min_delta if maximize else score < best - min_delta


class EpochJudge:
    """The best epoch and early stopping of one fit, from each epoch's monitored score.

    ``Trainer.fit`` keeps one; an ensemble keeps one per member, each writing its member's history.

    Args:
        history: where ``best_epoch``, ``best_score`` and ``stopped_early`` are written (a
            :class:`~gradlab.train.trainer.History`).
        maximize: whether a higher score is better.
        stopper: an :class:`~gradlab.train.callbacks.EarlyStopping` (its ``patience`` and
            ``min_delta``), or None to never stop.
    """

    def __init__(self, history: Any, maximize: bool, stopper: Any = None):
        self.history, self.maximize, self.stopper = history, maximize, stopper
        self.reference: float | None = None  # the last score that counted as an improvement
        self.since = 0  # epochs since then

    def record(self, epoch: int, score: float) -> tuple[bool, bool]:
        """Judge ``epoch``'s ``score``: ``(it is the best so far, patience has run out)``."""
        h = self.history
        best = better(score, h.best_score, self.maximize, 0.0)
        if best:
            h.best_epoch, h.best_score = epoch, score
        if self.stopper is None:
            return best, False
        if better(score, self.reference, self.maximize, self.stopper.min_delta):
            self.reference, self.since = score, 0
        else:
            self.since += 1
        out_of_patience = self.since >= self.stopper.patience
        if out_of_patience:
            h.stopped_early = True
        return best, out_of_patience
