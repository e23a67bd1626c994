"""Losses and metrics for the three kinds of supervised task.

A metric takes the model's raw outputs (logits for classification) and the targets, and returns a
0-dim tensor: the mean over the batch. It stays on the device, so the Trainer can add it up over
an epoch and pull one number at the epoch's end instead of syncing after every step.
"""

from __future__ import annotations

from typing import Callable

import torch.nn as nn
from torch import Tensor

from gradlab.errors import ConfigError

Metric = Callable[[Tensor, Tensor], Tensor]


def accuracy(outputs: Tensor, targets: Tensor, reduction: str = "mean") -> Tensor:
    """Share of correct predictions (``reduction="none"``: 1.0 or 0.0 per sample).

    Binary tasks (one output column) predict 1 where the logit is > 0, i.e. where the sigmoid is
    > 0.5; multiclass tasks predict the argmax over the last dimension.
    """
    if outputs.dim() > 1 and outputs.shape[-1] > 1:
        predicted = outputs.argmax(dim=-1)
        correct = (predicted == targets.reshape(predicted.shape)).float()
    else:
        predicted = (outputs > 0).float()
        correct = (predicted == targets.reshape(predicted.shape).float()).float()
    return correct.mean() if reduction == "mean" else correct


def mse(outputs: Tensor, targets: Tensor, reduction: str = "mean") -> Tensor:
    """Mean squared error over every element (``reduction="none"``: each squared error)."""
    sq = (outputs - targets.reshape(outputs.shape).to(outputs.dtype)) ** 2
    return sq.mean() if reduction == "mean" else sq


METRICS: dict[str, Metric] = {"accuracy": accuracy, "mse": mse}

# whether a larger value of the metric is better: decides best-checkpoint and early stopping
HIGHER_IS_BETTER: dict[str, bool] = {"accuracy": True, "mse": False}


def get_metric(metric: str | Metric) -> tuple[str, Metric]:
    """Resolve a metric name or function into ``(name, function)``.

    Raises:
        ConfigError: an unknown metric name.
    """
    if callable(metric):
        return getattr(metric, "__name__", "metric"), metric
    if metric not in METRICS:
        raise ConfigError(f"unknown metric {metric!r} (choices: {', '.join(METRICS)})")
    return metric, METRICS[metric]


def higher_is_better(name: str) -> bool:
    """True for metrics to maximise (accuracy); unknown names count as losses (minimise)."""
    return HIGHER_IS_BETTER.get(name, False)


def _bce(outputs: Tensor, targets: Tensor, reduction: str = "mean") -> Tensor:
    # targets arrive as float {0, 1} of shape [N, 1]; accept [N] too
    return nn.functional.binary_cross_entropy_with_logits(
        outputs, targets.reshape(outputs.shape).to(outputs.dtype), reduction=reduction
    )


def _ce(outputs: Tensor, targets: Tensor, reduction: str = "mean") -> Tensor:
    return nn.functional.cross_entropy(outputs, targets.long().reshape(-1), reduction=reduction)


def _mse(outputs: Tensor, targets: Tensor, reduction: str = "mean") -> Tensor:
    return nn.functional.mse_loss(outputs, targets.reshape(outputs.shape).to(outputs.dtype), reduction=reduction)


LOSSES: dict[str, Callable[[Tensor, Tensor], Tensor]] = {"bce": _bce, "ce": _ce, "mse": _mse}


def get_loss(loss: str | Callable[[Tensor, Tensor], Tensor]) -> Callable[[Tensor, Tensor], Tensor]:
    """A task's loss name ("bce" with logits, "ce", "mse") or a callable, as a loss function.

    Raises:
        ConfigError: an unknown loss name.
    """
    if callable(loss):
        return loss
    if loss not in LOSSES:
        raise ConfigError(f"unknown loss {loss!r} (choices: {', '.join(LOSSES)})")
    return LOSSES[loss]


def per_member(fn: Callable[..., Tensor]) -> Metric:
    """A loss or metric of this module (a batch mean) for an ensemble: ``[M, N, ...]`` in, ``[M]`` out.

    One call on every member's samples at once (``reduction="none"``), then each member's mean:
    the member's own batch mean, without the per-call cost of ``torch.func.vmap``.
    """

    def member_fn(outputs: Tensor, targets: Tensor) -> Tensor:
        m = outputs.shape[0]
        return fn(outputs.flatten(0, 1), targets.flatten(0, 1), reduction="none").reshape(m, -1).mean(1)

    return member_fn
