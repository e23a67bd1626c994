"""``Trainer.fit`` for an ensemble: the same steps, orders, rows and checkpoints, per member.

Every member follows the schedule of :class:`gradlab.train.trainer.Trainer` exactly: mini-batch
orders drawn per epoch from a generator seeded with the member's seed (only when the batch is
smaller than the training set), losses and metrics summed in float32 and read once per epoch,
the best-dev weights kept and restored at the end, early stopping per member (a stopped member
keeps being computed with the others but nothing more of it is recorded or checkpointed).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

import torch
from torch import Tensor

from gradlab.study.batched.data import Part
from gradlab.study.batched.mlp import BatchedMLP, Trace
from gradlab.study.batched.optim import BatchedOptimizer


@dataclass
class MemberHistory:
    """One member's rows and checkpoint bookkeeping, like the Trainer's ``History``."""

    rows: list[dict] = field(default_factory=list)
    epoch_steps: list[int] = field(default_factory=list)  # steps done at each epoch's end
    best_epoch: int | None = None
    best_score: float | None = None
    stopped_early: bool = False
    steps: int = 0
    active: bool = True


@dataclass
class FitSpec:
    """How long and how to train (the Trainer's ``fit`` arguments)."""

    epochs: int | None
    steps: int | None
    batch_size: int | None
    seeds: list[int]
    early_stopping: Any = None  # an EarlyStopping or None
    maximize: bool = True
    metric_name: str = "accuracy"


class Observer:
    """Receives the training events the vitals need (no-op base)."""

    def wants_trace(self, step: int) -> bool:
        """Whether the forward of (0-based) ``step`` should be traced."""
        return False

    def after_backward(self, step: int, trace: Trace | None, loss: Tensor) -> None:
        """Gradients are in ``.grad``; the optimizer has not stepped yet."""

    def after_step(self, step: int) -> None:
        """The optimizer has stepped."""

    def member_stopped(self, member: int, steps_done: int) -> None:
        """``member`` stopped early after ``steps_done`` steps: nothing more of it is recorded."""

    def finish(self, steps_done: int) -> None:
        """Training ended after ``steps_done`` steps."""


def plan(n: int, spec: FitSpec) -> tuple[int, int, int]:
    """``(epochs, total_steps, batch_size)`` exactly as the Trainer plans them."""
    bs = n if spec.batch_size is None else min(spec.batch_size, n)
    per_epoch = math.ceil(n / bs)
    if spec.steps is not None:
        return math.ceil(spec.steps / per_epoch), spec.steps, bs
    return spec.epochs, spec.epochs * per_epoch, bs


@torch.no_grad()
def evaluate(net: BatchedMLP, part: Part, loss_fn, metric_fn) -> tuple[list[float], list[float]]:
    """Per-member ``(losses, metrics)`` on a whole split, as ``Trainer.evaluate`` reads them."""
    x, y = part.take(None)
    out = net(x)
    n = len(part)
    # the Trainer sums loss * n in float32 and divides in python: same rounding here
    losses = (loss_fn(out, y) * n).tolist()
    metrics = (metric_fn(out, y) * n).tolist()
    return [v / n for v in losses], [v / n for v in metrics]


def _better(score: float, best: float | None, maximize: bool, min_delta: float) -> bool:
    if score is None or not math.isfinite(score):
        return False
    if best is None:
        return True
    return score > best + min_delta if maximize else score < best - min_delta


def fit(
    net: BatchedMLP,
    opt: BatchedOptimizer,
    train: Part,
    dev: Part,
    spec: FitSpec,
    loss_fn: Callable[[Tensor, Tensor], Tensor],
    metric_fn: Callable[[Tensor, Tensor], Tensor],
    *,
    read_lr: Callable[[], list[float]],
    on_step: Callable[[], None] | None = None,
    on_epoch: Callable[[list[float]], None] | None = None,
    observer: Observer | None = None,
) -> list[MemberHistory]:
    """Train every member; restore each one's best-dev weights; return the per-member histories.

    Args:
        net: the members' networks, stacked.
        opt: their optimizer.
        train: the training part.
        dev: the part the best epoch is chosen on.
        spec: epochs, steps, batch size, seeds and early stopping.
        loss_fn: the loss, per member.
        metric_fn: the dev metric, per member.
        read_lr: the members' current learning rates (for the history rows).
        on_step: schedule hook after each step.
        on_epoch: schedule hook after each epoch (with the scores).
        observer: vitals hooks.
    """
    observer = observer or Observer()
    m, n = net.size, len(train)
    epochs, total, bs = plan(n, spec)
    gens = {s: torch.Generator().manual_seed(s) for s in dict.fromkeys(spec.seeds)}
    hist = [MemberHistory() for _ in range(m)]
    best_state: list[Tensor] | None = None
    stop = spec.early_stopping
    reference: list[float | None] = [None] * m
    since = [0] * m
    step = 0
    name = spec.metric_name
    for epoch in range(1, epochs + 1):
        if bs < n:
            perms = {s: torch.randperm(n, generator=g) for s, g in gens.items()}
            order = torch.stack([perms[s] for s in spec.seeds])
        loss_sum = torch.zeros(m)
        metric_sum = torch.zeros(m)
        seen = 0
        for start in range(0, n, bs):
            if step >= total:
                break
            xb, yb = train.take(None if bs >= n else order[:, start : start + bs])
            trace = Trace({}, {}, {}, x=xb) if observer.wants_trace(step) else None
            out = net(xb, trace)
            losses = loss_fn(out, yb)
            opt.zero_grad()
            losses.sum().backward()
            observer.after_backward(step, trace, losses.detach())
            opt.step()
            if on_step is not None:
                on_step()
            observer.after_step(step)
            step += 1
            size = yb.shape[1]
            loss_sum += losses.detach() * size
            metric_sum += metric_fn(out.detach(), yb) * size
            seen += size
        seen = max(seen, 1)
        train_loss = [v / seen for v in loss_sum.tolist()]
        train_metric = [v / seen for v in metric_sum.tolist()]
        dev_loss, dev_metric = evaluate(net, dev, loss_fn, metric_fn)
        lrs = read_lr()
        improved = torch.zeros(m, dtype=torch.bool)
        for i, h in enumerate(hist):
            if not h.active:
                continue
            row = {"epoch": epoch, "train_loss": train_loss[i], f"train_{name}": train_metric[i],
                   "lr": lrs[i], "dev_loss": dev_loss[i], f"dev_{name}": dev_metric[i]}
            h.rows.append(row)
            h.epoch_steps.append(step)
            h.steps = step
            score = dev_metric[i]
            if _better(score, h.best_score, spec.maximize, 0.0):
                h.best_epoch, h.best_score = epoch, score
                improved[i] = True
            if stop is not None:
                if _better(score, reference[i], spec.maximize, stop.min_delta):
                    reference[i], since[i] = score, 0
                else:
                    since[i] += 1
                    if since[i] >= stop.patience:
                        h.stopped_early, h.active = True, False
                        observer.member_stopped(i, step)
        if improved.any():
            if best_state is None:
                best_state = net.snapshot()
            else:
                for saved, p in zip(best_state, net.parameters()):
                    saved[improved] = p.detach()[improved]
        if on_epoch is not None:
            on_epoch(dev_metric)
        if step >= total or not any(h.active for h in hist):
            break
    observer.finish(step)
    if best_state is not None:
        net.restore(best_state, torch.tensor([h.best_epoch is not None for h in hist]))
    return hist
