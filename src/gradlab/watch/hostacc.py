"""Sums kept on the host, fed by device scalars that are read in one transfer per report.

On small models each device op costs more than its arithmetic: stacking four scalars and
adding them to a slice of a device accumulator takes longer than computing them. A
:class:`HostAcc` therefore only queues the 0-d tensors a sampled call produces; the report
stacks the queues of every accumulator into one vector, reads it with one ``tolist()`` and adds
the values in Python floats (float64, as the device accumulator was).
"""

from __future__ import annotations

import torch
from torch import Tensor


class HostAcc:
    """``vals`` (Python floats) plus a queue of ``(index, 0-d tensor, power)`` to add later.

    Args:
        size: number of slots.
    """

    __slots__ = ("vals", "queue")

    def __init__(self, size: int):
        self.vals = [0.0] * size
        self.queue: list[tuple[int, Tensor, int]] = []

    def add(self, index: int, t: Tensor, power: int = 1) -> None:
        """Queue ``t`` (or ``t**2`` when ``power == 2``) to be added to slot ``index``."""
        self.queue.append((index, t, power))

    def reset(self) -> None:
        self.vals = [0.0] * len(self.vals)
        self.queue = []


def drain(accs: list[HostAcc], extra: list[Tensor] = ()) -> list[float]:
    """Add every queued tensor of ``accs`` into its slot with one host transfer.

    Also reads the 0-d tensors ``extra`` in the same transfer and returns their values.
    """
    tensors = [t for acc in accs for _, t, _ in acc.queue] + list(extra)
    if not tensors:
        return []
    flat = torch.stack(tensors).tolist()  # all 0-d; stack promotes dtypes
    k = 0
    for acc in accs:
        vals = acc.vals
        for index, _, power in acc.queue:
            v = flat[k]
            vals[index] += v * v if power == 2 else v
            k += 1
        acc.queue = []
    return flat[k:]
