"""Activations of an ensemble: each member's own ``nn.Module``, applied to its slice of the batch.

Members of one ensemble may differ in an activation's numbers (a LeakyReLU slope sweep, an ELU
alpha sweep). Members whose modules are identical (same class, same ``repr``) form one group, and
the group's own module runs on the ``[M_group, N, units]`` slice: the activation is defined once,
in :mod:`gradlab.components`, and a member's forward pass is bit-for-bit that of its own module.
A sweep of k values costs k elementwise calls per layer, whatever the number of members.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from gradlab.study.batched.errors import NotBatchable


@dataclass
class BatchedActivation:
    """One activation layer of an ensemble.

    Attributes:
        groups: ``(member indices, module)`` for each set of identical member modules.
        order: the permutation that puts the groups' outputs back in member order (None: one group).
    """

    groups: list[tuple[list[int], nn.Module]]
    order: Tensor | None

    def __call__(self, z: Tensor) -> Tensor:
        if self.order is None:
            return self.groups[0][1](z)
        pieces = [module(z[idx]) for idx, module in self.groups]
        return torch.cat(pieces)[self.order]

    def member_groups(self) -> list[tuple[list[int], nn.Module]]:
        """Members grouped by identical modules, with the group's module (used by the vitals)."""
        return self.groups


def batch_activations(modules: list[nn.Module], device=None) -> BatchedActivation:
    """Combine the activation modules of M members (same position in each model) into one.

    Raises:
        NotBatchable: the members use different classes, the module learns parameters (PReLU,
            not stacked), or it draws random numbers
            (RReLU) or changes while training (a scheduled slope), which one call cannot
            reproduce per member.
    """
    if len({type(m) for m in modules}) != 1:
        raise NotBatchable("members use different activation types")
    first = modules[0]
    if isinstance(first, nn.RReLU) or callable(getattr(first, "set_progress", None)):
        raise NotBatchable(f"activation {type(first).__name__} draws or schedules its numbers")
    if any(True for _ in first.parameters()):
        raise NotBatchable(f"activation {type(first).__name__} learns its own parameters")
    by_repr: dict[str, list[int]] = {}
    for i, module in enumerate(modules):
        by_repr.setdefault(repr(module), []).append(i)
    groups = []
    for idx in by_repr.values():
        module = modules[idx[0]]
        if getattr(module, "inplace", False):  # the traced pre-activation must survive the call
            module = copy.copy(module)
            module.inplace = False
        groups.append((idx, module))
    if len(groups) == 1:
        return BatchedActivation(groups, None)
    flat = torch.tensor([i for idx, _ in groups for i in idx], device=device)
    return BatchedActivation(groups, torch.argsort(flat))
