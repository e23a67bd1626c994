"""Build the members of one ensemble exactly as ``run_trial`` would, and batch them.

Each member is built by :func:`gradlab.train.experiment.build` with its own configuration and
seed, so the global RNG, the task's generator, the initializers and the optimizer see exactly
what they see in a local trial. Their models are then stacked into the ordinary MLP with a member
axis (:func:`gradlab.models.members.stack_members`); a forward pass of every member's own module
is compared with the batched one before anything trains, so a misread layout is caught, not trained.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from gradlab.models.members import NotBatchable, stack_members
from gradlab.models.mlp import MLP
from gradlab.study.batched.data import Part, stack_split
from gradlab.study.batched.optim import MemberOptimizer

# per-member thresholds of the trainer: all members set one, or none does
_THRESHOLDS = ("clip_norm", "clip_value", "max_norm")


@dataclass
class Ensemble:
    """Everything one batched run needs."""

    builts: list[Any]
    seeds: list[int]
    net: MLP  # with a member axis
    opt: MemberOptimizer
    train: Part
    dev: Part
    test: Part
    loss_fn: Any
    metric_fn: Any
    metric_name: str
    thresholds: dict[str, torch.Tensor]  # per-member clip_norm / clip_value / max_norm, [M]
    layers: list | None = None  # the watch's LayerInfo of one member (see run.layers_of)


def _thresholds(configs: list[dict], device) -> dict[str, torch.Tensor]:
    if any(cfg["train"].get("restore_best") is False for cfg in configs):  # the ensemble always restores
        raise NotBatchable("train.restore_best = false is not batched")
    out = {}
    for key in _THRESHOLDS:
        values = [cfg["train"].get(key) for cfg in configs]
        if all(v is None for v in values):
            continue
        if any(v is None for v in values):
            raise NotBatchable(f"train.{key} is set for some members only")
        out[key] = torch.tensor([float(v) for v in values], device=device)
    return out


def _same(values: list[Any], what: str) -> Any:
    if any(v != values[0] for v in values[1:]):
        raise NotBatchable(f"members differ in {what}")
    return values[0]


@torch.no_grad()
def _check_forward(net: MLP, builts: list[Any], x: torch.Tensor, shared: bool) -> None:
    probe = x[..., :64, :] if shared else x[:, :64]
    kept = [b.clone() for b in net.buffers()]  # a train-mode BatchNorm pass moves its running statistics
    batched = net(probe)
    for b, saved in zip(net.buffers(), kept):
        b.copy_(saved)
    for i, b in enumerate(builts):
        own = b.model(probe if shared else probe[i])
        if own.shape != batched[i].shape or not torch.allclose(own, batched[i], rtol=1e-4, atol=1e-5):
            raise NotBatchable("the batched forward pass does not reproduce a member's model")


def assemble(tasks: list[tuple[dict, int]], device=None) -> Ensemble:
    """Build every ``(config, seed)`` member and batch them.

    Raises:
        NotBatchable: the members cannot share one batched model (the caller runs them alone).
    """
    from gradlab.train.experiment import build

    builts = []
    for config, seed in tasks:
        builts.append(build(config, seed, device))
    if any(b.config["train"].get("pretrain") for b in builts):  # pretraining runs inside run_trial
        raise NotBatchable("train.pretrain is not batched")
    kinds = [b.config["model"]["kind"] for b in builts]
    if _same(kinds, "model kind") != "mlp":
        raise NotBatchable(f"model kind {kinds[0]!r} is not batched (only 'mlp')")
    loss_name = _same([b.task.loss for b in builts], "loss")
    metric_name = _same([b.metric for b in builts], "metric")
    if not isinstance(metric_name, str):
        raise NotBatchable("a custom metric function is not batched")
    for b in builts:
        b.model.train()
    net = stack_members([b.model for b in builts]).to(device)
    opt = MemberOptimizer(list(net.parameters()), [b.optimizer for b in builts])
    train = stack_split([b.task.train for b in builts], "train", device)
    dev = stack_split([b.task.dev for b in builts], "dev", device)
    test = stack_split([b.task.test for b in builts], "test", device)
    if train.x.dim() != (2 if train.x_shared else 3):
        raise NotBatchable("only vector inputs are batched")
    _check_forward(net, builts, train.x, train.x_shared)
    from gradlab.train.metrics import get_loss, get_metric, per_member

    return Ensemble(builts, [seed for _, seed in tasks], net, opt, train, dev, test,
                    per_member(get_loss(loss_name)), per_member(get_metric(metric_name)[1]), metric_name,
                    _thresholds([b.config for b in builts], device))
