"""Deterministic train/dev/test splits, by sizes (``640, 160, 200``) or fractions (``0.7, 0.15, 0.15``)."""

from __future__ import annotations

import math
from typing import Any, Sequence

import torch

from gradlab.errors import ConfigError


def split_sizes(n: int, split: Sequence[float | int]) -> list[int]:
    """Turn sizes or fractions into sizes that sum to ``n``.

    Integers are taken as sizes and must sum to ``n``. Fractions must sum to 1; each part is
    rounded and the last part takes the remainder, so ``(0.64, 0.16, 0.2)`` of 1000 is
    ``[640, 160, 200]``.

    Raises:
        ConfigError: negative parts, sizes that do not add up, or an empty part.
    """
    parts = list(split)
    if not parts:
        raise ConfigError("split needs at least one part, e.g. (0.64, 0.16, 0.2)")
    if any(isinstance(p, bool) or not isinstance(p, (int, float)) or p < 0 for p in parts):
        raise ConfigError(f"split parts must be non-negative numbers, got {parts!r}")
    if all(isinstance(p, int) for p in parts) and sum(parts) > 1:
        if sum(parts) != n:
            raise ConfigError(f"split sizes {parts!r} sum to {sum(parts)}, but there are {n} samples")
        sizes = [int(p) for p in parts]
    else:
        total = float(sum(parts))
        if not math.isclose(total, 1.0, abs_tol=1e-6):
            raise ConfigError(f"split fractions {parts!r} sum to {total:g}, expected 1")
        sizes = [int(round(p * n)) for p in parts[:-1]]
        sizes.append(n - sum(sizes))
        if sizes[-1] < 0:
            raise ConfigError(f"split fractions {parts!r} do not fit {n} samples")
    for p, s in zip(parts, sizes):
        if p > 0 and s == 0:
            raise ConfigError(f"split {parts!r} leaves an empty part with only {n} samples")
    return sizes


def check_task_split(split: Any) -> None:
    """A task's split: train, dev and test, each a positive size or fraction.

    An empty dev or test set is refused: its accuracy and loss would read 0 and mean nothing,
    and the dev set is what a study compares and early stopping watches.
    """
    parts = list(split) if isinstance(split, (list, tuple)) else None
    if parts is None or len(parts) != 3:
        raise ConfigError(f"a task's split has 3 parts (train, dev, test), e.g. (0.7, 0.15, 0.15); "
                          f"got {split!r}"[:200])
    if any(isinstance(p, bool) or not isinstance(p, (int, float)) or not math.isfinite(p)
           for p in parts) or any(p < 0 for p in parts):
        raise ConfigError(f"split parts must be non-negative finite numbers, got {parts!r}")
    empty = [name for name, p in zip(("train", "dev", "test"), parts) if p <= 0]
    if empty:
        raise ConfigError(
            f"split {parts!r} leaves the {' and '.join(empty)} set{'s' * (len(empty) > 1)} empty: "
            "its accuracy and loss would mean nothing; give each part a share, e.g. "
            "(0.7, 0.15, 0.15)"
        )


def split_data(
    X: torch.Tensor,
    y: torch.Tensor,
    split: Sequence[float | int],
    *,
    shuffle: bool = False,
    generator: torch.Generator | None = None,
) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Cut ``(X, y)`` into consecutive parts, after an optional seeded shuffle.

    Args:
        X: the inputs.
        y: the targets, with the same first dimension as ``X``.
        split: sizes or fractions (see :func:`split_sizes`).
        shuffle: permute the samples first with ``generator`` (never the global RNG).
        generator: the ``torch.Generator`` to shuffle with; required when ``shuffle``.
    """
    n = X.shape[0]
    if y.shape[0] != n:
        raise ConfigError(f"X has {n} samples but y has {y.shape[0]}")
    if shuffle:
        if generator is None:
            raise ConfigError("split_data(shuffle=True) needs a seeded torch.Generator")
        order = torch.randperm(n, generator=generator)
        X, y = X[order], y[order]
    out, start = [], 0
    for size in split_sizes(n, split):
        out.append((X[start : start + size], y[start : start + size]))
        start += size
    return out
