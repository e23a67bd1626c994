"""``Trainer.fit`` for an ensemble: the same steps, orders, rows and checkpoints, per member.

Every member follows the schedule of :class:`gradlab.train.trainer.Trainer` exactly: mini-batch
orders drawn per epoch from a generator seeded with the member's seed (only when the batch is
smaller than the training set), losses and metrics summed in float32 and read once per epoch,
the best-dev weights kept and restored at the end, early stopping per member (a stopped member
keeps being computed with the others but nothing more of it is recorded or checkpointed).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import torch
from torch import Tensor

from gradlab.models.members import member_count, member_linears
from gradlab.models.mlp import MLP
from gradlab.study.batched.data import Part
from gradlab.study.batched.optim import MemberOptimizer
from gradlab.study.batched.trace import Trace, traced_forward
from gradlab.train.plan import EpochJudge, make_plan
from gradlab.train.trainer import History
from gradlab.watch.members import MemberWatch


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


@torch.no_grad()
def evaluate(net: MLP, part: Part, loss_fn, metric_fn) -> tuple[list[float], list[float]]:
    """Per-member ``(losses, metrics)`` on a whole split, as ``Trainer.evaluate`` reads them."""
    x, y = part.take(None)
    out = net.eval()(x)  # in eval mode, as the Trainer evaluates: BatchNorm's running statistics
    net.train()
    n = len(part)
    # the Trainer sums loss * n in float32 and divides in python: same rounding here
    losses = (loss_fn(out, y) * n).tolist()
    metrics = (metric_fn(out, y) * n).tolist()
    return [v / n for v in losses], [v / n for v in metrics]


def fit(
    net: MLP,
    opt: MemberOptimizer,
    train: Part,
    dev: Part,
    spec: FitSpec,
    loss_fn: Callable[[Tensor, Tensor], Tensor],
    metric_fn: Callable[[Tensor, Tensor], Tensor],
    *,
    thresholds: dict[str, Tensor] | None = None,
    on_step: Callable[[], None] | None = None,
    on_epoch: Callable[[list[float]], None] | None = None,
    observer: MemberWatch | None = None,
    recorder: Any = None,
) -> tuple[list[History], list[list[int]]]:
    """Train every member; restore each one's best-dev weights.

    Returns:
        each member's :class:`~gradlab.train.trainer.History`, and the steps done at each of its
        epochs' ends.

    Args:
        net: the members' networks, on a member axis.
        opt: their optimizer (:class:`~gradlab.study.batched.optim.MemberOptimizer`).
        train: the training part.
        dev: the part the best epoch is chosen on.
        spec: epochs, steps, batch size, seeds and early stopping.
        loss_fn: the loss, per member.
        metric_fn: the dev metric, per member.
        thresholds: per-member ``clip_norm``, ``clip_value`` and ``max_norm`` (``[M]``), the
            Trainer's clipping (before the step, in the order norm then value) and max-norm.
        on_step: schedule hook after each step.
        on_epoch: schedule hook after each epoch (with the scores).
        observer: the members' watch (it sees every step's traced forward).
        recorder: an :class:`~gradlab.train.activation_record.ActivationRecorder` with
            ``members``, called where the Trainer calls its callbacks.
    """
    from gradlab.components.regularizers import MaxNorm, clip_angle, clip_gradients

    limits = thresholds or {}
    clip = [(by, limits[f"clip_{by}"]) for by in ("norm", "value") if f"clip_{by}" in limits]
    max_norm = MaxNorm(1.0) if "max_norm" in limits else None
    m, n = member_count(net), len(train)
    params = list(net.parameters())
    state = list(net.state_dict().values())  # what a checkpoint keeps: parameters and norm statistics
    weights = [layer.weight for _, layer in member_linears(net)]
    plan = make_plan(n, spec.epochs, spec.steps, spec.batch_size)
    total, bs = plan.total_steps, plan.batch_size
    gens = {s: torch.Generator().manual_seed(s) for s in dict.fromkeys(spec.seeds)}
    hist = [History() for _ in range(m)]
    ends: list[list[int]] = [[] for _ in range(m)]
    active = [True] * m
    best_state: list[Tensor] | None = None
    judges = [EpochJudge(h, spec.maximize, spec.early_stopping) for h in hist]
    step = 0
    name = spec.metric_name
    if recorder is not None:
        recorder.start()
    for epoch in range(1, plan.epochs + 1):
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
            trace = Trace() if observer is not None else None
            out = traced_forward(net, xb, trace)
            losses = loss_fn(out, yb)
            opt.zero_grad()
            losses.sum().backward()
            if clip:  # the Trainer clips before the step (and before the watch reads)
                grads = [p.grad for p in params if p.grad is not None]
                raw = [g.clone() for g in grads]
                for by, limit in clip:
                    clip_gradients(params, by=by, max=limit, members=True)
                if observer is not None:  # as run_trial's vital
                    observer.log("clip_angle", clip_angle(raw, grads, members=True))
            if observer is not None:
                observer.after_backward(step, trace, losses.detach())
            opt.step()
            if observer is not None:
                observer.after_step(step)  # the watch's step-end hook runs before max-norm
            if max_norm is not None:
                for w in weights:
                    max_norm.project_(w, members=True, max_norm=limits["max_norm"])
            if on_step is not None:
                on_step()
            step += 1
            size = yb.shape[1]
            loss_sum += losses.detach() * size
            metric_sum += metric_fn(out.detach(), yb) * size
            seen += size
        seen = max(seen, 1)
        train_loss = [v / seen for v in loss_sum.tolist()]
        train_metric = [v / seen for v in metric_sum.tolist()]
        dev_loss, dev_metric = evaluate(net, dev, loss_fn, metric_fn)
        lrs = opt.lrs()
        improved = torch.zeros(m, dtype=torch.bool)
        was_active = list(active)
        for i, h in enumerate(hist):
            if not active[i]:
                continue
            h.append({"epoch": epoch, "train_loss": train_loss[i], "dev_loss": dev_loss[i],
                      f"train_{name}": train_metric[i], f"dev_{name}": dev_metric[i], "lr": lrs[i]})
            ends[i].append(step)
            h.steps = step
            improved[i], stopped = judges[i].record(epoch, dev_metric[i])
            if stopped:
                active[i] = False
                if observer is not None:
                    observer.member_stopped(i, step)
        if improved.any():
            if best_state is None:
                best_state = [t.clone() for t in state]
            else:
                for saved, p in zip(best_state, state):
                    saved[improved] = p.detach()[improved]
        if on_epoch is not None:
            on_epoch(dev_metric)
        if recorder is not None:
            recorder.epoch_end(epoch, [a and not b for a, b in zip(was_active, active)], was_active)
        if step >= total or not any(active):
            break
    if observer is not None:
        observer.finish(step)
    if best_state is not None:
        kept = torch.tensor([h.best_epoch is not None for h in hist])
        with torch.no_grad():
            for p, saved in zip(state, best_state):
                p[kept] = saved[kept]
    if recorder is not None:
        recorder.end()
    return hist, ends
