"""Regression tasks: seed 003's negative-uniform inputs and teacher–student regression.

Both targets come from a fixed random *teacher* drawn from the task's seed, so a student network
that stays alive can learn them: a flat training loss means the student failed, not the data.
"""

from __future__ import annotations

import math
from typing import Sequence

import torch

from gradlab.data.task import TASKS, Task, finish_task, make_generator
from gradlab.errors import ConfigError

_TEACHER_ACTS = {"tanh": torch.tanh, "relu": torch.relu, "sigmoid": torch.sigmoid, "identity": lambda z: z}


@TASKS.register("negative_uniform", help="inputs uniform in (-1, 0), 4 features, regression (what ReLU likes least)")
def negative_uniform(
    *, seed: int = 0, n_samples: int = 20000, d: int = 4, noise: float = 0.05,
    split: Sequence[float | int] = (0.7, 0.15, 0.15), normalize: bool = False,
) -> Task:
    """Inputs ``x ~ U(-1, 0)^d`` — the inputs ReLU likes least (seed 003 draws 200k × 4 and
    splits 7:3). The target is a fixed teacher with a linear and a nonlinear part,
    ``y = x·w + 0.5·sin(3·x·v) + noise``, scaled to unit variance.

    Args:
        seed: seed of the inputs, the teacher, the noise and the split.
        n_samples: number of rows (the article uses 200000; the default is smaller for speed).
        d: number of features.
        noise: std of the Gaussian noise on the (standardized) target.
        split: train/dev/test sizes or fractions.
        normalize: standardize inputs with train statistics (this lifts them out of (-1, 0)).
    """
    _check(n_samples, d)
    g = make_generator(seed)
    X = -torch.rand(n_samples, d, generator=g, dtype=torch.float64)  # in (-1, 0]
    w = torch.randn(d, generator=g, dtype=torch.float64)
    v = torch.randn(d, generator=g, dtype=torch.float64)
    y = X @ w + 0.5 * torch.sin(3.0 * (X @ v))
    y = (y - y.mean()) / y.std().clamp_min(1e-12)
    y = y + noise * torch.randn(n_samples, generator=g, dtype=torch.float64)
    return finish_task("negative_uniform", "regression", X, y, split, normalize=normalize)


@TASKS.register("teacher", aliases=("teacher_student",), help="targets from a random teacher MLP")
def teacher(
    *, seed: int = 0, n_samples: int = 2000, d: int = 10, hidden: Sequence[int] = (32,),
    act: str = "tanh", n_outputs: int = 1, noise: float = 0.1,
    split: Sequence[float | int] = (0.64, 0.16, 0.2), normalize: bool = False,
) -> Task:
    """Teacher–student regression: ``x ~ N(0, I_d)``, ``y = teacher(x) + noise``.

    The teacher is an MLP with widths ``hidden`` and activation ``act`` (tanh, relu, sigmoid,
    identity), weights ``N(0, 1/fan_in)`` (LeCun scaling keeps its outputs of order one).
    """
    _check(n_samples, d)
    if act not in _TEACHER_ACTS:
        raise ConfigError(f"teacher act must be one of {', '.join(_TEACHER_ACTS)}, got {act!r}")
    widths = list(hidden)
    if any(isinstance(h, bool) or not isinstance(h, int) or h < 1 for h in widths):
        raise ConfigError(f"teacher hidden must be positive integers, got {hidden!r}")
    if isinstance(n_outputs, bool) or not isinstance(n_outputs, int) or n_outputs < 1:
        raise ConfigError(f"teacher n_outputs must be a positive integer, got {n_outputs!r}")
    g = make_generator(seed)
    X = torch.randn(n_samples, d, generator=g, dtype=torch.float64)
    h = X
    for i, width in enumerate(widths + [n_outputs]):
        W = torch.randn(h.shape[1], width, generator=g, dtype=torch.float64) / math.sqrt(h.shape[1])
        b = 0.1 * torch.randn(width, generator=g, dtype=torch.float64)
        h = h @ W + b
        if i < len(widths):  # hidden layers are nonlinear, the output layer is linear
            h = _TEACHER_ACTS[act](h)
    y = h + noise * torch.randn(h.shape, generator=g, dtype=torch.float64)
    return finish_task("teacher", "regression", X, y, split, normalize=normalize)


def _check(n_samples: object, d: object) -> None:
    if isinstance(n_samples, bool) or not isinstance(n_samples, int) or n_samples < 3:
        raise ConfigError(f"n_samples must be an integer >= 3, got {n_samples!r}")
    if isinstance(d, bool) or not isinstance(d, int) or d < 1:
        raise ConfigError(f"d must be a positive integer, got {d!r}")
