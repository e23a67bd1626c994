"""Label noise and distractor inputs: the two knobs that make a small task easy to overfit.

A net memorises a small training set when its labels are partly wrong (it must learn each wrong
label by heart) or when its inputs carry many dimensions of pure noise (points in general
position are easy to separate, whatever their labels). Both are applied by :func:`corrupt_parts`
*after* a task has been shuffled and split, with the task's own generator, so the clean inputs
and labels of a seed are the same with and without them: ``label_noise=0`` and ``noise_dims=0``
give back the clean task bit for bit, and the corrupted task differs from it only where the
definition says.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor

from gradlab.errors import ConfigError


def check_corruption(label_noise: Any, noise_dims: Any, kind: str) -> None:
    """``label_noise`` is a rate in [0, 1) (classification only); ``noise_dims`` an integer >= 0."""
    if isinstance(label_noise, bool) or not isinstance(label_noise, (int, float)) \
            or not math.isfinite(label_noise) or not 0 <= label_noise < 1:
        raise ConfigError(f"label_noise is the share of labels replaced by another class: a number in "
                          f"[0, 1), got {label_noise!r}")
    if label_noise and kind not in ("binary", "multiclass"):
        raise ConfigError(f"label_noise needs class labels; a {kind} task has none (leave it at 0)")
    if isinstance(noise_dims, bool) or not isinstance(noise_dims, int) or noise_dims < 0:
        raise ConfigError(f"noise_dims is a number of extra inputs: an integer >= 0, got {noise_dims!r}")
    if noise_dims and kind == "generative":
        raise ConfigError("noise_dims would change the samples a generator must match: not for a "
                          "generative task (leave it at 0)")


def flip_labels(y: Tensor, rate: float, n_classes: int, generator: torch.Generator) -> Tensor:
    """Replace each label, independently with probability ``rate``, by a *different* class drawn
    uniformly from the other ``n_classes - 1`` (so a flipped label is always wrong, and the share
    of wrong labels is ``rate`` in expectation). ``y`` holds class indices of any shape."""
    flip = torch.rand(y.shape, generator=generator) < rate
    # an offset in 1..k-1 added modulo k lands on each other class with equal probability
    offset = torch.randint(1, n_classes, y.shape, generator=generator)
    flipped = (y.to(torch.int64) + offset) % n_classes
    return torch.where(flip, flipped, y.to(torch.int64)).to(y.dtype)


def corrupt_parts(
    parts: list[tuple[Tensor, Tensor]],
    *,
    label_noise: float,
    noise_dims: int,
    n_classes: int,
    generator: torch.Generator,
) -> list[tuple[Tensor, Tensor]]:
    """Flip labels at rate ``label_noise`` and append ``noise_dims`` standard-normal input columns,
    in every part (train, dev and test alike: the noise belongs to the data, so a dev accuracy
    of ``1 - label_noise`` is what a net that learnt the clean rule and none of the noise scores).
    Random numbers are drawn after the split, so the clean columns and labels do not move."""
    out = []
    for X, y in parts:
        if label_noise:
            y = flip_labels(y, label_noise, n_classes, generator)
        if noise_dims:
            extra = torch.randn(X.shape[0], noise_dims, generator=generator, dtype=torch.float64)
            X = torch.cat([X, extra.to(X.dtype)], dim=1)
        out.append((X, y))
    return out
