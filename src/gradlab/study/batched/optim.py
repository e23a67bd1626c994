"""The members' own ``torch.optim`` optimizer, stepped once on the stacked ``[M, ...]`` parameters.

Every registered optimizer is elementwise, and its state (momentum buffers, moment estimates,
squared-gradient sums) does not depend on the learning rate, which only scales the final update
(decoupled weight decay included). So one stock optimizer of the members' class and options steps
every member at once: directly when the members share their learning rate, else at ``lr = 1``
followed by ``p0 + lr_m * (p1 - p0)``, a per-member rate. Per-member coupled weight decay is added
to the gradient before the step (what torch does inside it); per-member decoupled decay is the
``- lr_m * wd_m * p0`` term of the same line. The learning rates are read from the members' own
(never stepped) optimizers on every step, where their schedules write them.
"""

from __future__ import annotations

import torch
from torch import Tensor

from gradlab.models.members import NotBatchable

# optimizers whose update is elementwise and linear in the learning rate (Rprop and L-BFGS are not)
LINEAR_IN_LR = (torch.optim.SGD, torch.optim.Adagrad, torch.optim.RMSprop, torch.optim.Adam,
                torch.optim.AdamW, torch.optim.Adamax, torch.optim.NAdam, torch.optim.RAdam)
_PER_MEMBER = ("lr", "weight_decay", "initial_lr")


def _column(values: list[float], like: Tensor) -> Tensor:
    """``[M]`` values shaped ``[M, 1, ...]`` to broadcast against ``like``."""
    return torch.tensor(values, dtype=like.dtype, device=like.device).view(-1, *[1] * (like.dim() - 1))


class MemberOptimizer:
    """One stock optimizer for M members' stacked parameters (see the module docstring).

    Args:
        params: the stacked leaf tensors, each ``[M, ...]``.
        members: each member's own optimizer (one parameter group, same class and options).

    Raises:
        NotBatchable: mixed classes, several groups, an update not linear in the learning rate,
            or options (momentum, betas...) that differ between members.
    """

    def __init__(self, params: list[Tensor], members: list[torch.optim.Optimizer]):
        kind = type(members[0])
        if any(type(o) is not kind for o in members) or not issubclass(kind, LINEAR_IN_LR):
            raise NotBatchable(f"optimizers {sorted({type(o).__name__ for o in members})} are not batched")
        if any(len(o.param_groups) != 1 for o in members):
            raise NotBatchable("an optimizer with several parameter groups is not batched")
        self.groups = [o.param_groups[0] for o in members]
        first = self.groups[0]
        for key in first:
            if key not in ("params", *_PER_MEMBER) and any(g[key] != first[key] for g in self.groups):
                raise NotBatchable(f"members differ in the optimizer's {key!r}")
        self.params = params
        decay = [float(g.get("weight_decay", 0.0)) for g in self.groups]
        self.decay = None if len(set(decay)) == 1 else decay  # None: one decay, torch applies it
        self.decoupled = kind is torch.optim.AdamW or bool(first.get("decoupled_weight_decay"))
        self.opt = kind(params, lr=float(first["lr"]))
        own = self.opt.param_groups[0]  # the members' own options, whatever the constructor names
        own.update({k: v for k, v in first.items() if k not in ("params", "initial_lr")})
        if self.decay is not None:
            own["weight_decay"] = 0.0

    def zero_grad(self) -> None:
        """Drop the gradients (``set_to_none``, torch.optim's default)."""
        self.opt.zero_grad(set_to_none=True)

    def lrs(self) -> list[float]:
        """Every member's current learning rate (as its schedule left it)."""
        return [float(g["lr"]) for g in self.groups]

    @torch.no_grad()
    def step(self) -> None:
        """One update of every member."""
        lrs, own = self.lrs(), self.opt.param_groups[0]
        if self.decay is not None and not self.decoupled:
            for p in self.params:
                if p.grad is not None:
                    p.grad.add_(_column(self.decay, p) * p)
        if len(set(lrs)) == 1 and (self.decay is None or not self.decoupled):
            own["lr"] = lrs[0]
            self.opt.step()
            return
        before = [p.detach().clone() for p in self.params]
        own["lr"] = 1.0
        self.opt.step()
        for p, p0 in zip(self.params, before):
            lr = _column(lrs, p)
            update = p0 + lr * (p - p0)
            if self.decay is not None and self.decoupled:
                update -= lr * _column(self.decay, p) * p0
            p.copy_(update)
