"""Losses and metrics per member: ``([M, B, k] outputs, [M, B, ...] targets) -> [M]``.

Each is the batch mean the Trainer's loss or metric computes for one model
(:mod:`gradlab.train.metrics`), kept apart per member so the sum over members can be
back-propagated once and every member still receives exactly its own gradient.
"""

from __future__ import annotations

from typing import Callable

import torch.nn.functional as F
from torch import Tensor

from gradlab.study.batched.errors import NotBatchable

MemberFn = Callable[[Tensor, Tensor], Tensor]


def _bce(out: Tensor, y: Tensor) -> Tensor:
    target = y.reshape(out.shape).to(out.dtype)
    return F.binary_cross_entropy_with_logits(out, target, reduction="none").flatten(1).mean(1)


def _ce(out: Tensor, y: Tensor) -> Tensor:
    m, b = out.shape[0], out.shape[1]
    flat = F.cross_entropy(out.reshape(m * b, -1), y.long().reshape(-1), reduction="none")
    return flat.view(m, b).mean(1)


def _mse(out: Tensor, y: Tensor) -> Tensor:
    return ((out - y.reshape(out.shape).to(out.dtype)) ** 2).flatten(1).mean(1)


def _accuracy(out: Tensor, y: Tensor) -> Tensor:
    if out.shape[-1] > 1:
        predicted = out.argmax(dim=-1)
        return (predicted == y.reshape(predicted.shape)).float().flatten(1).mean(1)
    predicted = (out > 0).float()
    return (predicted == y.reshape(predicted.shape).float()).float().flatten(1).mean(1)


LOSSES: dict[str, MemberFn] = {"bce": _bce, "ce": _ce, "mse": _mse}
METRICS: dict[str, MemberFn] = {"accuracy": _accuracy, "mse": _mse}


def member_loss(name: object) -> MemberFn:
    """The per-member form of a task's loss name; a custom callable cannot be batched."""
    if not isinstance(name, str) or name not in LOSSES:
        raise NotBatchable(f"loss {name!r} has no per-member form")
    return LOSSES[name]


def member_metric(name: object) -> MemberFn:
    """The per-member form of a task's metric name."""
    if not isinstance(name, str) or name not in METRICS:
        raise NotBatchable(f"metric {name!r} has no per-member form")
    return METRICS[name]
