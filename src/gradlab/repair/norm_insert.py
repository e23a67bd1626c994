"""Insert normalisation layers between a model's layers and their activations.

Only where the structure says where the layers are: an ``nn.Sequential`` — the model itself
(gradlab's :class:`~gradlab.models.mlp.MLP` is one) or a block inside the user's own module. A
norm goes between each Linear/Conv and the activation that follows it — the "before the
activation" placement of Ioffe & Szegedy (2015). Where no Sequential holds such a pair, the order
of calls lives in the user's ``forward``, which gradlab does not
rewrite: the candidate is skipped and the reason says so.
"""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn

from gradlab.components.activations import activation_info
from gradlab.errors import ConfigError


def _norm_for(layer: nn.Module, kind: str) -> nn.Module | None:
    if isinstance(layer, nn.Linear):
        return nn.BatchNorm1d(layer.out_features) if kind == "batch" else nn.LayerNorm(layer.out_features)
    if isinstance(layer, nn.Conv2d) and kind == "batch":
        return nn.BatchNorm2d(layer.out_channels)
    if isinstance(layer, nn.Conv1d) and kind == "batch":
        return nn.BatchNorm1d(layer.out_channels)
    return None


def _sequentials(model: nn.Module) -> list[nn.Sequential]:
    return [m for m in model.modules() if isinstance(m, nn.Sequential)]


def norm_blocker(model: nn.Module, kind: str) -> str | None:
    """Why a ``kind`` norm cannot be inserted into ``model`` (None when it can)."""
    if kind not in ("batch", "layer"):
        return f"normalisation {kind!r} is not one gradlab inserts (batch or layer)"
    seqs = _sequentials(model)
    if not seqs:
        return (f"cannot insert {kind} norm into {type(model).__name__}: its layer order is in its "
                "forward(); only an nn.Sequential (the model or one inside it) can be changed without "
                "editing the source")
    if not any(_places(seq, kind) for seq in seqs):
        return f"no Linear/Conv layer directly followed by an activation in an nn.Sequential to put {kind} norm after"
    return None


def _places(model: nn.Sequential, kind: str) -> list[int]:
    children = list(model)
    return [i for i, (a, b) in enumerate(zip(children, children[1:]))
            if _norm_for(a, kind) is not None and activation_info(b) is not None and not isinstance(b, nn.Identity)]


def _insert(seq: nn.Sequential, kind: str) -> tuple[list[str], list[nn.Parameter]]:
    places = set(_places(seq, kind))
    new: OrderedDict[str, nn.Module] = OrderedDict()
    added, params = [], []
    for i, (name, child) in enumerate(list(seq._modules.items())):
        new[name] = child
        if i in places and child is not None:
            norm = _norm_for(child, kind)
            assert norm is not None
            ref = next(child.parameters())
            norm = norm.to(device=ref.device, dtype=ref.dtype)
            new[f"{name}_norm"] = norm
            added.append(f"{name}_norm")
            params += list(norm.parameters())
    seq._modules.clear()
    seq._modules.update(new)
    return added, params


def insert_norm(model: nn.Module, kind: str, opt: torch.optim.Optimizer) -> list[str]:
    """Insert ``kind`` ("batch" or "layer") norms into ``model`` in place; train them with ``opt``.

    Every ``nn.Sequential`` in the model (the model itself, or a block inside a module of the
    user's own) gets a norm between each Linear/Conv and the activation that follows it. The new
    layers sit on the device and dtype of the layer they follow, and their parameters join ``opt``
    as a new parameter group with the first group's learning rate.

    Returns:
        The names of the inserted layers (inside their Sequential).

    Raises:
        ConfigError: the model's structure does not allow it (see :func:`norm_blocker`).
    """
    reason = norm_blocker(model, kind)
    if reason:
        raise ConfigError(reason)
    added, params = [], []
    for seq in _sequentials(model):
        names, new = _insert(seq, kind)
        added += names
        params += new
    if params:
        opt.add_param_group({"params": params, "lr": opt.param_groups[0]["lr"]})
    return added
