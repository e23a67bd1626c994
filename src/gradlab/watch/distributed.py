"""Combining vitals across the ranks of a distributed (DDP) run.

Every rank reports at the same steps (the step clock follows ``optimizer.step()``, which DDP
keeps in lockstep), so each report makes two collectives: one SUM over every additive
accumulator (moment sums, counts, squared output-gradient norms, losses) and one MAX over the
per-unit gradient maxima, so that a unit is dead only if it was dead on every rank.
"""

from __future__ import annotations

import torch
from torch import Tensor


def world_size() -> int:
    """The number of ranks of the default process group (1 when not distributed)."""
    if not torch.distributed.is_available() or not torch.distributed.is_initialized():
        return 1
    return torch.distributed.get_world_size()


def is_main_rank() -> bool:
    """True on rank 0 or when not distributed (sinks that write files run there only)."""
    if world_size() == 1:
        return True
    return torch.distributed.get_rank() == 0


def all_reduce_(tensors: list[Tensor], op: str) -> None:
    """All-reduce ``tensors`` in place with one collective per device and dtype.

    Args:
        tensors: tensors to combine; they are flattened into one buffer and copied back.
        op: ``"sum"`` or ``"max"``.
    """
    if not tensors or world_size() == 1:
        return
    reduce_op = {"sum": torch.distributed.ReduceOp.SUM, "max": torch.distributed.ReduceOp.MAX}[op]
    groups: dict[tuple, list[Tensor]] = {}
    for t in tensors:
        groups.setdefault((t.device, t.dtype), []).append(t)
    for group in groups.values():
        flat = torch.cat([t.reshape(-1) for t in group])
        torch.distributed.all_reduce(flat, op=reduce_op)
        offset = 0
        for t in group:
            n = t.numel()
            t.copy_(flat[offset : offset + n].view_as(t))
            offset += n


def device() -> torch.device:
    """Where the collectives of the default group run: the current CUDA device under NCCL."""
    if world_size() > 1 and torch.distributed.get_backend() == "nccl":
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")
