"""Sums kept on the host, fed by device scalars that are read in one transfer per report.

On small models each device op costs more than its arithmetic: stacking four scalars and
adding them to a slice of a device accumulator takes longer than computing them. A
:class:`HostAcc` therefore only queues the 0-d tensors a sampled call produces; the report
stacks the queues of every accumulator into one vector, reads it with one ``tolist()`` and adds
the values in Python floats (float64, as the device accumulator was).

With ``members`` (an ensemble trained on a member axis) each queued tensor holds one value per
member: :func:`drain_members` adds them into per-member ``rows``, while ``vals`` keeps the counts
that every member shares (samples seen); :meth:`HostAcc.member` is one member's view of both.
"""

from __future__ import annotations

from typing import Sequence

import torch
from torch import Tensor


class HostAcc:
    """``vals`` (Python floats) plus a queue of ``(index, 0-d tensor, coef, square)`` to add later.

    Args:
        size: number of slots.
        members: queued tensors are ``[members]`` (one value per member of an ensemble).
    """

    __slots__ = ("vals", "queue", "rows")

    def __init__(self, size: int, members: int | None = None):
        self.vals = [0.0] * size
        self.queue: list[tuple[int, Tensor, float, bool]] = []
        self.rows = None if members is None else [[0.0] * size for _ in range(members)]

    def add(self, index: int, t: Tensor, coef: float = 1.0, square: bool = False) -> None:
        """Queue ``coef * t`` (``coef * t**2`` when ``square``) to be added to slot ``index``."""
        self.queue.append((index, t, coef, square))

    def reset(self) -> None:
        """Start a new window: every slot zero, nothing queued."""
        self.vals = [0.0] * len(self.vals)
        self.queue = []
        if self.rows is not None:
            self.rows = [[0.0] * len(self.vals) for _ in self.rows]

    def member(self, i: int) -> list[float]:
        """Member ``i``'s slots: its own sums plus the counts every member shares."""
        assert self.rows is not None, "a HostAcc without members"
        return [a + b for a, b in zip(self.vals, self.rows[i])]


def drain(accs: list[HostAcc], vectors: Sequence[Tensor] = ()) -> list[float]:
    """Add every queued tensor of ``accs`` into its slot with one host transfer.

    Also reads the 1-d tensors ``vectors`` in the same transfer and returns their values.
    """
    tensors = [q[1] for acc in accs for q in acc.queue]
    if not tensors and not vectors:
        return []
    flat = _read(tensors, list(vectors))
    k = 0
    for acc in accs:
        vals = acc.vals
        for index, _, coef, square in acc.queue:
            v = flat[k]
            vals[index] += coef * (v * v if square else v)
            k += 1
        acc.queue = []
    return flat[k:]


def drain_members(accs: list[HostAcc], vectors: Sequence[Tensor] = ()) -> list[float]:
    """:func:`drain` for accumulators with a member axis, and any tensors ``vectors``, in one read."""
    tensors = [q[1] for acc in accs for q in acc.queue] + list(vectors)
    if not tensors:
        return []
    flat = torch.cat([t.reshape(-1).to(torch.float64) for t in tensors]).tolist()
    k = 0
    for acc in accs:
        assert acc.rows is not None, "a HostAcc without members"
        for index, _, coef, square in acc.queue:
            for row in acc.rows:
                v = flat[k]
                row[index] += coef * (v * v if square else v)
                k += 1
        acc.queue = []
    return flat[k:]


def _read(tensors: list[Tensor], vectors: list[Tensor]) -> list[float]:
    """The values of 0-d ``tensors`` then of 1-d ``vectors``, in one read when dtypes agree.

    Stacking mixed dtypes promotes each tensor on its own, which costs more than the
    reductions that produced them, so mixed scalars are stacked once per dtype.
    """
    if tensors and not all(t.dtype == tensors[0].dtype for t in tensors):
        groups: dict[torch.dtype, list[int]] = {}
        for i, t in enumerate(tensors):
            groups.setdefault(t.dtype, []).append(i)
        out: list[float] = [0.0] * len(tensors)
        for idx in groups.values():
            for i, v in zip(idx, torch.stack([tensors[i] for i in idx]).tolist()):
                out[i] = float(v)
        return out + (torch.cat(vectors).tolist() if vectors else [])
    parts = ([torch.stack(tensors)] if tensors else []) + vectors
    return (parts[0] if len(parts) == 1 else torch.cat(parts)).tolist()
