"""The members' data: one shared copy when every member sees the same task, else stacked.

Whether seeds of one configuration see the same data depends on the task (a task seeded from the
trial seed draws new points per seed). Tensors that are equal across members are kept once,
``[N, ...]``; tensors that differ are stacked on a member dimension, ``[M, N, ...]``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from gradlab.models.members import NotBatchable


@dataclass
class Part:
    """One split's ``x`` and ``y``, each shared (``[N, ...]``) or per member (``[M, N, ...]``)."""

    x: Tensor
    y: Tensor
    x_shared: bool
    y_shared: bool
    members: int = 1

    def __len__(self) -> int:
        return self.x.shape[0] if self.x_shared else self.x.shape[1]

    def take(self, index: Tensor | None) -> tuple[Tensor, Tensor]:
        """Rows ``index`` (``[M, B]``, one order per member) of x and y; None takes every row.

        Returns ``x`` as ``[N, ...]`` or ``[M, B, ...]`` and ``y`` always with a member dimension.
        """
        if index is None:
            x = self.x
            y = self.y.unsqueeze(0).expand(self.members, *self.y.shape) if self.y_shared else self.y
            return x, y
        rows = torch.arange(index.shape[0], device=index.device).unsqueeze(1)
        x = self.x[index] if self.x_shared else self.x[rows, index]
        y = self.y[index] if self.y_shared else self.y[rows, index]
        return x, y


def _combine(tensors: list[Tensor], what: str, device) -> tuple[Tensor, bool]:
    first = tensors[0]
    if all(t.shape == first.shape and torch.equal(t, first) for t in tensors[1:]):
        return first.to(device), True
    if any(t.shape != first.shape for t in tensors):
        raise NotBatchable(f"members' {what} tensors have different shapes")
    return torch.stack(tensors).to(device), False


def stack_split(splits: list[tuple[Tensor, Tensor]], name: str, device=None) -> Part:
    """Combine one split (``task.train`` ...) of every member."""
    x, x_shared = _combine([s[0] for s in splits], f"{name} inputs", device)
    y, y_shared = _combine([s[1] for s in splits], f"{name} targets", device)
    return Part(x, y, x_shared, y_shared, members=len(splits))
