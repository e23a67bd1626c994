"""SGD, momentum and Adam for parameters with a leading member dimension.

Each update is the one ``torch.optim`` performs (same order of operations, so a member matches
its own ``torch.optim`` run to float rounding), with the learning rate, momentum, betas and
weight decay held per member as ``[M]`` tensors so a learning-rate sweep shares one ensemble.
"""

from __future__ import annotations

import torch
from torch import Tensor

from gradlab.study.batched.errors import NotBatchable

Num = float | Tensor


def _col(values: list[float], like: Tensor) -> Num:
    """A python float when every member agrees (torch.optim's exact arithmetic), else ``[M]``."""
    if len(set(values)) == 1:
        return float(values[0])
    return torch.tensor(values, dtype=torch.float64, device=like.device)


def _view(v: Num, p: Tensor) -> Num:
    """``[M]`` -> ``[M, 1, ...]`` in ``p``'s dtype, broadcasting against ``p``; floats pass."""
    if isinstance(v, float):
        return v
    return v.to(p.dtype).view(-1, *([1] * (p.dim() - 1)))


def _decayed(g: Tensor, p: Tensor, wd: Num) -> Tensor:
    """L2 weight decay folded into the gradient, ``g + wd * p``."""
    return g.add(p, alpha=wd) if isinstance(wd, float) else g + wd * p


def _group(opt: torch.optim.Optimizer) -> dict:
    if len(opt.param_groups) != 1:
        raise NotBatchable("optimizer has several parameter groups")
    return opt.param_groups[0]


class BatchedOptimizer:
    """Base: holds the parameters and the per-member learning rate ``lr`` (shape ``[M]``)."""

    def __init__(self, params: list[Tensor], lr: list[float]):
        self.params = params
        self.lr = _col(lr, params[0])
        self.steps = 0

    @torch.no_grad()
    def zero_grad(self) -> None:
        """Drop the gradients (``set_to_none`` like torch.optim's default)."""
        for p in self.params:
            p.grad = None

    def set_lr(self, lr: list[float]) -> None:
        """Replace every member's learning rate (schedules read theirs from the members)."""
        self.lr = _col(lr, self.params[0])


class BatchedSGD(BatchedOptimizer):
    """``torch.optim.SGD`` (plain, momentum with dampening, Nesterov, L2 weight decay)."""

    def __init__(self, params, lr, momentum, dampening, weight_decay, nesterov: bool):
        super().__init__(params, lr)
        like = params[0]
        self.momentum = _col(momentum, like)
        self.dampening = _col(dampening, like)
        self.weight_decay = _col(weight_decay, like)
        self.use_momentum = any(m != 0 for m in momentum)
        # (1 - dampening) in float64 first, as torch.optim does with its python scalars
        self.keep = _col([1 - d for d in dampening], like)
        self.use_decay = any(w != 0 for w in weight_decay)
        self.nesterov = nesterov
        self.buffers: list[Tensor | None] = [None] * len(params)

    @torch.no_grad()
    def step(self) -> None:
        """One update of every member."""
        for i, p in enumerate(self.params):
            if p.grad is None:
                continue
            g = p.grad
            if self.use_decay:
                g = _decayed(g, p, _view(self.weight_decay, p))
            if self.use_momentum:
                mom = _view(self.momentum, p)
                if self.buffers[i] is None:
                    self.buffers[i] = g.clone()  # torch.optim seeds the buffer with the gradient
                else:
                    self.buffers[i].mul_(mom).add_(g * _view(self.keep, p))
                buf = self.buffers[i]
                g = g + mom * buf if self.nesterov else buf
            lr = _view(self.lr, p)
            if isinstance(lr, float):
                p.add_(g, alpha=-lr)
            else:
                p.addcmul_(g, lr, value=-1)
        self.steps += 1


class BatchedAdam(BatchedOptimizer):
    """``torch.optim.Adam`` and ``AdamW`` (decoupled decay when ``decoupled``), no AMSGrad."""

    def __init__(self, params, lr, betas, eps, weight_decay, decoupled: bool):
        super().__init__(params, lr)
        like = params[0]
        self.beta1 = [b[0] for b in betas]
        self.beta2 = [b[1] for b in betas]
        self.keep1 = _col([1 - b for b in self.beta1], like)  # lerp weight 1 - beta1
        self.beta2_t = _col(self.beta2, like)
        self.keep2 = _col([1 - b for b in self.beta2], like)
        self.eps = _col(eps, like)
        self.weight_decay = _col(weight_decay, like)
        self.use_decay = any(w != 0 for w in weight_decay)
        self.decoupled = decoupled
        self.exp_avg = [torch.zeros_like(p) for p in params]
        self.exp_avg_sq = [torch.zeros_like(p) for p in params]

    @torch.no_grad()
    def step(self) -> None:
        """One update of every member."""
        self.steps += 1
        t = self.steps
        # bias corrections per member in float64, like torch.optim's python scalars
        like = self.params[0]
        lrs = self.lr.tolist() if isinstance(self.lr, Tensor) else [self.lr] * len(self.beta1)
        step_size = _col([lr / (1 - b1**t) for lr, b1 in zip(lrs, self.beta1)], like)
        bc2_sqrt = _col([(1 - b2**t) ** 0.5 for b2 in self.beta2], like)
        for i, p in enumerate(self.params):
            if p.grad is None:
                continue
            g = p.grad
            if self.use_decay:
                if self.decoupled:
                    p.mul_(1 - _view(self.lr, p) * _view(self.weight_decay, p))
                else:
                    g = _decayed(g, p, _view(self.weight_decay, p))
            m, v = self.exp_avg[i], self.exp_avg_sq[i]
            keep1, keep2 = _view(self.keep1, p), _view(self.keep2, p)
            m.lerp_(g, keep1)
            if isinstance(keep2, float):
                v.mul_(self.beta2_t).addcmul_(g, g, value=keep2)
            else:
                v.mul_(_view(self.beta2_t, p)).addcmul_(g, g * keep2)
            denom = (v.sqrt() / _view(bc2_sqrt, p)).add_(_view(self.eps, p))
            size = _view(step_size, p)
            if isinstance(size, float):
                p.addcdiv_(m, denom, value=-size)
            else:
                p.sub_(size * m / denom)


def batch_optimizers(params: list[Tensor], optimizers: list[torch.optim.Optimizer]) -> BatchedOptimizer:
    """One batched optimizer standing for the members' own ``torch.optim`` optimizers.

    Raises:
        NotBatchable: mixed optimizer types, a type without a batched form, or options
            (AMSGrad, maximize, several parameter groups) this file does not reproduce.
    """
    kinds = {type(o) for o in optimizers}
    if len(kinds) != 1:
        raise NotBatchable("members use different optimizers")
    kind = kinds.pop()
    groups = [_group(o) for o in optimizers]
    if any(g.get("maximize", False) for g in groups):
        raise NotBatchable("maximize=True has no batched form")
    lr = [float(g["lr"]) for g in groups]
    wd = [float(g.get("weight_decay", 0.0)) for g in groups]
    if kind is torch.optim.SGD:
        nesterov = {bool(g.get("nesterov", False)) for g in groups}
        if len(nesterov) != 1:
            raise NotBatchable("members mix Nesterov and plain momentum")
        return BatchedSGD(
            params,
            lr,
            [float(g.get("momentum", 0.0)) for g in groups],
            [float(g.get("dampening", 0.0)) for g in groups],
            wd,
            nesterov.pop(),
        )
    if kind in (torch.optim.Adam, torch.optim.AdamW):
        if any(g.get("amsgrad", False) for g in groups):
            raise NotBatchable("AMSGrad has no batched form")
        decoupled = kind is torch.optim.AdamW or any(g.get("decoupled_weight_decay") for g in groups)
        return BatchedAdam(
            params,
            lr,
            [tuple(float(b) for b in g["betas"]) for g in groups],
            [float(g["eps"]) for g in groups],
            wd,
            decoupled,
        )
    raise NotBatchable(f"optimizer {kind.__name__} has no batched form")
