"""Two-dimensional tasks: moons, circles, spirals, Gaussian mixtures, and the GAN ring and grid.

The four classification tasks take ``label_noise`` (the share of labels replaced by another
class) and ``noise_dims`` (standard-normal inputs appended to the informative ones), which make
a small task one a net overfits; see :mod:`gradlab.data.corrupt`.

All randomness comes from a local ``torch.Generator`` seeded by the task's ``seed``. Points are
computed in float64 and stored as float32.
"""

from __future__ import annotations

import math
from typing import Sequence

import torch

from gradlab.data.task import TASKS, Task, finish_task, make_generator
from gradlab.errors import ConfigError

DEFAULT_SPLIT = (0.64, 0.16, 0.2)  # the seeds' 640/160/200 of 1000


def make_moons(
    n_samples: int = 1000, *, shuffle: bool = True, noise: float | None = 0.2, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """Two interleaving half circles, the seeds' ``make_moons`` (nndl, seed 002).

    The outer moon (label 0) is ``(cos t, sin t)``, the inner moon (label 1) is
    ``(1 - cos t, 0.5 - sin t)`` for ``t`` evenly spaced in ``[0, π]``; ``n // 2`` points are
    outer. The points are shuffled *before* Gaussian noise of std ``noise`` is added, as there.
    """
    _check_count("n_samples", n_samples, 2)
    n_out = n_samples // 2
    n_in = n_samples - n_out
    t_out = torch.linspace(0, math.pi, n_out, dtype=torch.float64)
    t_in = torch.linspace(0, math.pi, n_in, dtype=torch.float64)
    X = torch.stack(
        [torch.cat([torch.cos(t_out), 1 - torch.cos(t_in)]), torch.cat([torch.sin(t_out), 0.5 - torch.sin(t_in)])],
        dim=1,
    )
    y = torch.cat([torch.zeros(n_out), torch.ones(n_in)])
    if shuffle:
        order = torch.randperm(n_samples, generator=generator)
        X, y = X[order], y[order]
    if noise:
        X = X + noise * torch.randn(X.shape, generator=generator, dtype=torch.float64)
    return X, y


@TASKS.register("moons", help="two interleaving half circles, 1000 points, noise 0.2, 640/160/200")
def moons(
    *, seed: int = 0, n_samples: int = 1000, noise: float = 0.2, shuffle: bool = True,
    split: Sequence[float | int] = DEFAULT_SPLIT, normalize: bool = False, label_noise: float = 0.0,
    noise_dims: int = 0,
) -> Task:
    """The seeds' two-moons task: binary labels ``[N, 1]``, split in order 640/160/200."""
    g = make_generator(seed)
    X, y = make_moons(n_samples, shuffle=shuffle, noise=noise, generator=g)
    return finish_task("moons", "binary", X, y, split, normalize=normalize, generator=g,
                       label_noise=label_noise, noise_dims=noise_dims)


@TASKS.register("circles", help="a small circle inside a large one (binary)")
def circles(
    *, seed: int = 0, n_samples: int = 1000, noise: float = 0.1, factor: float = 0.5,
    split: Sequence[float | int] = DEFAULT_SPLIT, normalize: bool = False, label_noise: float = 0.0,
    noise_dims: int = 0,
) -> Task:
    """Two concentric circles: outer radius 1 (label 0), inner radius ``factor`` (label 1)."""
    _check_count("n_samples", n_samples, 2)
    if not 0 < factor < 1:
        raise ConfigError(f"circles factor must be in (0, 1), got {factor!r}")
    g = make_generator(seed)
    n_out = n_samples // 2
    n_in = n_samples - n_out
    t_out = torch.arange(n_out, dtype=torch.float64) * (2 * math.pi / n_out)
    t_in = torch.arange(n_in, dtype=torch.float64) * (2 * math.pi / n_in)
    X = torch.cat([torch.stack([t_out.cos(), t_out.sin()], 1), factor * torch.stack([t_in.cos(), t_in.sin()], 1)])
    y = torch.cat([torch.zeros(n_out), torch.ones(n_in)])
    X = X + noise * torch.randn(X.shape, generator=g, dtype=torch.float64)
    return finish_task("circles", "binary", X, y, split, shuffle=True, generator=g, normalize=normalize,
                       label_noise=label_noise, noise_dims=noise_dims)


@TASKS.register("spirals", help="k interleaved spiral arms (binary for k=2, else multiclass)")
def spirals(
    *, seed: int = 0, n_samples: int = 1000, k: int = 2, turns: float = 1.0, noise: float = 0.05,
    split: Sequence[float | int] = DEFAULT_SPLIT, normalize: bool = False, label_noise: float = 0.0,
    noise_dims: int = 0,
) -> Task:
    """``k`` arms from the origin; arm ``j`` at radius ``r`` has angle ``2πj/k + 2π·turns·r``."""
    _check_count("k", k, 2)
    _check_count("n_samples", n_samples, k)
    g = make_generator(seed)
    label = torch.arange(n_samples) % k
    r = torch.rand(n_samples, generator=g, dtype=torch.float64) * 0.95 + 0.05
    angle = 2 * math.pi * (label / k + turns * r)
    X = torch.stack([r * angle.cos(), r * angle.sin()], 1)
    X = X + noise * torch.randn(X.shape, generator=g, dtype=torch.float64)
    kind = "binary" if k == 2 else "multiclass"
    return finish_task("spirals", kind, X, label, split, n_outputs=k, shuffle=True, generator=g, normalize=normalize,
                       label_noise=label_noise, noise_dims=noise_dims)


@TASKS.register("gaussian_mixture", aliases=("blobs",), help="k Gaussian classes in d dimensions")
def gaussian_mixture(
    *, seed: int = 0, n_samples: int = 1000, k: int = 3, d: int = 2, separation: float = 3.0,
    std: float = 1.0, split: Sequence[float | int] = DEFAULT_SPLIT, normalize: bool = False,
    label_noise: float = 0.0, noise_dims: int = 0,
) -> Task:
    """Class ``c`` is ``N(μ_c, std² I)`` with centres ``μ_c ~ N(0, separation² I)``; balanced classes."""
    _check_count("k", k, 2)
    _check_count("d", d, 1)
    _check_count("n_samples", n_samples, k)
    g = make_generator(seed)
    centers = separation * torch.randn(k, d, generator=g, dtype=torch.float64)
    label = torch.arange(n_samples) % k
    X = centers[label] + std * torch.randn(n_samples, d, generator=g, dtype=torch.float64)
    kind = "binary" if k == 2 else "multiclass"
    return finish_task(
        "gaussian_mixture", kind, X, label, split, n_outputs=k, shuffle=True, generator=g, normalize=normalize,
        label_noise=label_noise, noise_dims=noise_dims,
    )


@TASKS.register("ring", aliases=("ring_of_gaussians",), help="8 Gaussian modes on a circle, for GANs")
def ring(
    *, seed: int = 0, n_samples: int = 2000, modes: int = 8, radius: float = 2.0, std: float = 0.02,
    split: Sequence[float | int] = DEFAULT_SPLIT, normalize: bool = False,
) -> Task:
    """The ring of Gaussians GAN benchmark: ``modes`` equal-weight modes ``N(μ_m, std² I)`` with
    ``μ_m = radius·(cos 2πm/M, sin 2πm/M)``. Kind ``"generative"``; ``y`` is each sample's mode
    (int64), so mode coverage can be scored; ``n_outputs`` is 1, the discriminator's logit.
    """
    _check_count("modes", modes, 1)
    _check_count("n_samples", n_samples, modes)
    g = make_generator(seed)
    mode = torch.arange(n_samples) % modes
    angle = 2 * math.pi * mode.to(torch.float64) / modes
    X = radius * torch.stack([angle.cos(), angle.sin()], 1)
    X = X + std * torch.randn(X.shape, generator=g, dtype=torch.float64)
    return finish_task("ring", "generative", X, mode, split, shuffle=True, generator=g, normalize=normalize)


@TASKS.register("grid", aliases=("grid_of_gaussians",), help="a 5 x 5 grid of Gaussian modes, for GANs")
def grid(
    *, seed: int = 0, n_samples: int = 2500, side: int = 5, spacing: float = 2.0, std: float = 0.05,
    split: Sequence[float | int] = DEFAULT_SPLIT, normalize: bool = False,
) -> Task:
    """The grid of Gaussians GAN benchmark (Srivastava et al. 2017, VEEGAN): ``side²``
    equal-weight modes ``N(μ, std² I)`` at ``spacing·(i, j)`` centred on the origin. Kind
    ``"generative"``; ``y`` is each sample's mode (int64), as for :func:`ring`.
    """
    _check_count("side", side, 1)
    modes = side * side
    _check_count("n_samples", n_samples, modes)
    g = make_generator(seed)
    mode = torch.arange(n_samples) % modes
    offset = (side - 1) / 2
    X = spacing * torch.stack([(mode // side).to(torch.float64) - offset, (mode % side).to(torch.float64) - offset], 1)
    X = X + std * torch.randn(X.shape, generator=g, dtype=torch.float64)
    return finish_task("grid", "generative", X, mode, split, shuffle=True, generator=g, normalize=normalize)


def _check_count(label: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(f"{label} must be an integer >= {minimum}, got {value!r}")
    return value
