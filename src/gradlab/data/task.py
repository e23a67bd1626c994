"""The :class:`Task` a Trainer consumes, the :data:`TASKS` registry and :func:`create_task`.

A task builder is any callable ``f(*, seed, **kw) -> Task``. Built-in tasks draw every random
number from a local ``torch.Generator`` seeded with ``seed`` (never the global RNG), so the same
seed gives bit-identical tensors and a task never disturbs a training run's random stream.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

import torch
from torch import Tensor

from gradlab.components.registry import Registry
from gradlab.data.corrupt import check_corruption, corrupt_parts
from gradlab.data.split import check_task_split, split_data
from gradlab.errors import ConfigError

KINDS = {"binary": ("bce", "accuracy"), "multiclass": ("ce", "accuracy"), "regression": ("mse", "mse")}

TASKS = Registry("task")


@dataclass
class Task:
    """A dataset with its splits and what to optimise.

    binary: ``y`` float32 ``[N, 1]`` in {0, 1}; multiclass: int64 ``[N]``; regression: float32
    ``[N, d]``; generative: ``y`` holds side labels (e.g. the mode of a ring sample).
    """

    name: str
    kind: str
    input_shape: tuple
    n_outputs: int
    train: tuple[Tensor, Tensor]
    dev: tuple[Tensor, Tensor]
    test: tuple[Tensor, Tensor]
    loss: str
    metric: str


def make_generator(seed: int) -> torch.Generator:
    """A CPU ``torch.Generator`` seeded with ``seed`` (an int, else a ConfigError)."""
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ConfigError(f"seed must be an integer, got {seed!r}")
    return torch.Generator().manual_seed(seed)


def standardize(task: Task) -> Task:
    """Standardize inputs per feature with the *train* mean and std (dev/test reuse them)."""
    x_train = task.train[0]
    mean = x_train.mean(dim=0, keepdim=True)
    std = x_train.std(dim=0, keepdim=True).clamp_min(1e-8)  # a constant feature stays finite
    fix = lambda part: ((part[0] - mean) / std, part[1])  # noqa: E731
    task.train, task.dev, task.test = fix(task.train), fix(task.dev), fix(task.test)
    return task


def finish_task(
    name: str,
    kind: str,
    X: Tensor,
    y: Tensor,
    split: Sequence[float | int],
    *,
    n_outputs: int | None = None,
    shuffle: bool = False,
    generator: torch.Generator | None = None,
    normalize: bool = False,
    loss: str | None = None,
    metric: str | None = None,
    label_noise: float = 0.0,
    noise_dims: int = 0,
) -> Task:
    """Split ``(X, y)`` and wrap it in a :class:`Task` with the kind's loss and metric.

    ``y`` is converted to the kind's convention (binary ``[N, 1]`` float, multiclass int64).
    ``label_noise`` and ``noise_dims`` corrupt every split after it is cut, drawing from
    ``generator`` (see :mod:`gradlab.data.corrupt`); both 0 leave the task as it was.
    """
    check_corruption(label_noise, noise_dims, kind)
    X = X.to(torch.float32).contiguous()
    if kind == "binary":
        y = y.reshape(-1, 1).to(torch.float32)
        n_outputs = 1
    elif kind == "multiclass":
        y = y.reshape(-1).to(torch.int64)
        n_outputs = n_outputs or int(y.max().item()) + 1
    elif kind == "regression":
        y = (y.reshape(-1, 1) if y.dim() == 1 else y).to(torch.float32)
        n_outputs = y.shape[1]
    elif kind != "generative":
        raise ConfigError(f"unknown task kind {kind!r} (choices: binary, multiclass, regression, generative)")
    default_loss, default_metric = KINDS.get(kind, ("bce", "mode_coverage"))
    if kind != "generative":
        check_task_split(split)
    parts = _three(split_data(X, y, split, shuffle=shuffle, generator=generator), split)
    if label_noise or noise_dims:
        if generator is None:
            raise ConfigError("label_noise / noise_dims need the task's seeded torch.Generator")
        parts = corrupt_parts(parts, label_noise=label_noise, noise_dims=noise_dims,
                              n_classes=2 if kind == "binary" else int(n_outputs or 1), generator=generator)
    train, dev, test = parts
    task = Task(
        name=name,
        kind=kind,
        input_shape=tuple(train[0].shape[1:]),
        n_outputs=int(n_outputs or 1),
        train=train,
        dev=dev,
        test=test,
        loss=loss or default_loss,
        metric=metric or default_metric,
    )
    return standardize(task) if normalize else task


def _three(parts: list, split: Sequence) -> list:
    if len(parts) != 3:
        raise ConfigError(f"a task needs a train/dev/test split of 3 parts, got {list(split)!r}")
    return parts


def _check_noise(noise: Any) -> None:
    """Every built-in task's ``noise`` is a standard deviation: a number >= 0 (or None for none)."""
    if noise is None:
        return
    if isinstance(noise, bool) or not isinstance(noise, (int, float)) or not math.isfinite(noise) or noise < 0:
        raise ConfigError(f"task noise is the std of Gaussian noise: a number >= 0, got {noise!r}")


def create_task(spec_or_name: Any, seed: int = 0, **kw: Any) -> Task:
    """Build a task from a name, a spec (``"moons(noise=0.3)"``) or a builder callable.

    Args:
        spec_or_name: a registered task name or spec, a callable ``f(*, seed, **kw)``, or a Task.
        seed: seeds the task's own generator; the same seed gives identical tensors.
        **kw: builder arguments, e.g. ``n_samples=2000``, ``normalize=True``.

    Raises:
        UnknownComponentError: unknown task name (with the choices and a did-you-mean).
        ConfigError: bad arguments.
    """
    if isinstance(spec_or_name, Task):
        return spec_or_name
    import gradlab.data  # noqa: F401  (registers the built-in tasks)

    given = dict(kw)
    if isinstance(spec_or_name, str):
        from gradlab.components.spec import parse_spec

        given.update(parse_spec(spec_or_name).kwargs)
    _check_noise(given.get("noise", 0.0))
    task = TASKS.create(spec_or_name, seed=seed, **kw)
    if not isinstance(task, Task):
        raise ConfigError(f"task builder {spec_or_name!r} returned {type(task).__name__}, not a Task")
    return task
