"""Small synthetic image classification: class-conditional oriented bars in noise.

A stand-in for MNIST (``1×28×28``) or CIFAR (``3×32×32``) shapes that ships in the package and
costs milliseconds to make: class ``c`` of ``k`` is a bright bar through the image centre at angle
``π·c/k``, jittered in angle and position per sample, plus Gaussian pixel noise. In colour, each
class also gets its own tint, so a convolutional net has both shape and colour to find.
"""

from __future__ import annotations

import math
from typing import Sequence

import torch

from gradlab.data.task import TASKS, Task, finish_task, make_generator
from gradlab.errors import ConfigError


def make_bars(
    n_samples: int, *, k: int, channels: int, size: int, noise: float, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """Images ``[N, channels, size, size]`` in float32 and balanced labels ``[N]`` (int64)."""
    g = generator
    label = torch.arange(n_samples) % k
    jitter = 0.25 * math.pi / k  # a quarter of the gap between neighbouring classes' angles
    angle = math.pi * label.to(torch.float32) / k + jitter * torch.randn(n_samples, generator=g)
    offset = 0.08 * size * torch.randn(n_samples, generator=g)
    coords = torch.arange(size, dtype=torch.float32) - (size - 1) / 2
    yy, xx = torch.meshgrid(coords, coords, indexing="ij")
    # signed distance of each pixel to the line through the centre at `angle`, shifted by `offset`
    dist = -xx * angle.sin()[:, None, None] + yy * angle.cos()[:, None, None] - offset[:, None, None]
    width = size / 14.0
    bar = torch.exp(-0.5 * (dist / width) ** 2)  # [N, size, size] in [0, 1]
    if channels == 1:
        images = bar[:, None]
    else:
        tint = 0.4 + 0.6 * torch.rand(k, channels, generator=g)  # one colour per class
        images = bar[:, None] * tint[label][:, :, None, None]
    images = images + noise * torch.randn(images.shape, generator=g)
    return images, label


@TASKS.register("images", aliases=("bars",), help="synthetic class-conditional images (1x28x28 or 3x32x32)")
def images(
    *, seed: int = 0, n_samples: int = 2000, k: int = 10, channels: int = 1, size: int = 28,
    noise: float = 0.3, split: Sequence[float | int] = (0.64, 0.16, 0.2), normalize: bool = False,
) -> Task:
    """Oriented-bar images, ``k`` classes, ``channels`` × ``size`` × ``size``.

    ``images(channels=1, size=28)`` has MNIST's shape; ``images(channels=3, size=32)`` CIFAR's.
    Two classes give a binary task (one logit), more a multiclass one.
    """
    for label, value, low in (("n_samples", n_samples, k), ("k", k, 2), ("size", size, 8)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ConfigError(f"images {label} must be an integer >= {low}, got {value!r}")
    if channels not in (1, 3):
        raise ConfigError(f"images channels must be 1 or 3, got {channels!r}")
    g = make_generator(seed)
    X, y = make_bars(n_samples, k=k, channels=channels, size=size, noise=noise, generator=g)
    kind = "binary" if k == 2 else "multiclass"
    return finish_task("images", kind, X, y, split, n_outputs=k, shuffle=True, generator=g, normalize=normalize)
