"""A member axis for the ordinary MLP: M same-shaped networks as one, weights ``[M, out, in]``.

:func:`stack_members` turns M models built by the ordinary builder (each under its own seed,
exactly as a single run builds it) into one :class:`~gradlab.models.mlp.MLP` with the same layer
names (``fc1``.., ``norm1``.., ``act1``..): each Linear becomes a :class:`MemberLinear` holding the
members' stacked weights, each BatchNorm1d / LayerNorm a member-axis norm
(:mod:`gradlab.models.member_norms`: torch's own normalisation with the member axis folded into
the features, each member's own statistics, running statistics and affine parameters), each
activation stays the registry's own module — one module when the members agree, else
:class:`MemberGroups`, the members grouped by identical modules (a slope sweep of k values costs k
elementwise calls per layer). Because each member's loss depends only on its own
slice, the gradient of the *sum* of the member losses is, slice by slice, each member's own.
"""

from __future__ import annotations

import copy
from typing import Iterator, Sequence, cast

import torch
from torch import Tensor, nn

from gradlab.errors import NotBatchable
from gradlab.models.member_activations import MemberPReLU
from gradlab.models.member_norms import stack_norms
from gradlab.models.mlp_net import MLP

# the norm layers a member axis holds (gradlab.models.member_norms)
NORM_LAYERS = (nn.BatchNorm1d, nn.LayerNorm)


class MemberLinear(nn.Module):
    """M Linear layers of one shape: ``[N, in]`` (shared) or ``[M, N, in]`` in, ``[M, N, out]`` out."""

    def __init__(self, weight: Tensor, bias: Tensor | None):
        super().__init__()
        self.weight = nn.Parameter(weight)
        self.bias = nn.Parameter(bias) if bias is not None else None
        self.members, self.out_features, self.in_features = weight.shape

    @classmethod
    def stack(cls, layers: list[nn.Linear]) -> "MemberLinear":
        """The members' own Linear layers, weights copied and stacked."""
        if len({tuple(layer.weight.shape) for layer in layers}) != 1:
            raise NotBatchable("a Linear layer has different shapes across members")
        biases = {layer.bias is not None for layer in layers}
        if len(biases) != 1:
            raise NotBatchable("a Linear layer has a bias in some members only")
        w = torch.stack([layer.weight.detach() for layer in layers]).clone()
        b = torch.stack([layer.bias.detach() for layer in layers]).clone() if biases == {True} else None
        return cls(w, b)

    def forward(self, x: Tensor) -> Tensor:  # noqa: D102
        h = x if x.dim() == 3 else x.unsqueeze(0).expand(self.members, *x.shape)
        # feature-major product [M, out, in] @ [M, in, N], handed back as an [M, N, out] view:
        # with the long sample dimension last, MKL's batched GEMM runs ~10x faster on these
        # tiny layers than with it first (benchmarks/bench_ensemble.py)
        ht = h.transpose(1, 2)
        w, b = self.weight, self.bias
        return (torch.baddbmm(b.unsqueeze(2), w, ht) if b is not None else torch.bmm(w, ht)).transpose(1, 2)

    def extra_repr(self) -> str:  # noqa: D102
        return f"members={self.members}, in_features={self.in_features}, out_features={self.out_features}"


class MemberGroups(nn.Module):
    """One activation layer whose members differ in its numbers: each group's own module on its slice."""

    def __init__(self, groups: list[tuple[list[int], nn.Module]]):
        super().__init__()
        self.index = [idx for idx, _ in groups]
        self.mods = nn.ModuleList([module for _, module in groups])
        flat = torch.tensor([i for idx in self.index for i in idx])
        self.order: Tensor
        self.register_buffer("order", torch.argsort(flat), persistent=False)

    def groups(self) -> list[tuple[list[int], nn.Module]]:
        """``(member indices, module)`` for each set of identical member modules."""
        return list(zip(self.index, self.mods))

    def forward(self, z: Tensor) -> Tensor:  # noqa: D102
        return torch.cat([module(z[idx]) for idx, module in zip(self.index, self.mods)])[self.order]


def activation_groups(module: nn.Module, members: int) -> list[tuple[list[int], nn.Module]]:
    """The member groups of an activation layer of a member-axis model (one group if they agree)."""
    return module.groups() if isinstance(module, MemberGroups) else [(list(range(members)), module)]


def _stack_layer(modules: list[nn.Module]) -> nn.Module:
    """The members' modules at one position as one member-axis layer."""
    if len({type(m) for m in modules}) != 1:
        raise NotBatchable(f"members use different layer types {sorted({type(m).__name__ for m in modules})}")
    if isinstance(modules[0], nn.Linear):
        return MemberLinear.stack(cast(list[nn.Linear], modules))
    norm = stack_norms(modules)
    return norm if norm is not None else _stack_activations(modules)


def _stack_activations(modules: list[nn.Module]) -> nn.Module:
    first = modules[0]
    if type(first) is nn.PReLU:
        return MemberPReLU(modules)
    if isinstance(first, nn.RReLU) or callable(getattr(first, "set_progress", None)):
        raise NotBatchable(f"activation {type(first).__name__} draws or schedules its numbers")
    if any(True for _ in first.parameters()):
        raise NotBatchable(f"activation {type(first).__name__} learns its own parameters")
    by_repr: dict[str, list[int]] = {}
    for i, module in enumerate(modules):
        by_repr.setdefault(repr(module), []).append(i)
    groups = []
    for idx in by_repr.values():
        module = copy.deepcopy(modules[idx[0]])
        if getattr(module, "inplace", False):  # a traced pre-activation must survive the call
            setattr(module, "inplace", False)
        groups.append((idx, module))
    return groups[0][1] if len(groups) == 1 else MemberGroups(groups)


def _layout(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """The leaf modules of ``model`` in order, checked to alternate Linear / activation, each
    block with a BatchNorm1d or LayerNorm before or after its activation or none."""
    kept: list[tuple[str, nn.Module]] = []
    core: list[nn.Module] = []  # the kept modules other than norms
    for name, m in model.named_modules():
        if list(m.children()) or isinstance(m, nn.Flatten) or (isinstance(m, nn.Dropout) and m.p == 0.0):
            continue
        if isinstance(m, nn.Identity) and not (core and isinstance(core[-1], nn.Linear)):
            continue  # an identity "norm" slot after an activation; an identity activation stays
        if any(True for _ in m.buffers()) and not isinstance(m, NORM_LAYERS):
            raise NotBatchable(f"module {name!r} ({type(m).__name__}) keeps buffers")
        kept.append((name, m))
        if not isinstance(m, NORM_LAYERS):
            core.append(m)
    if sum(p.numel() for _, m in kept for p in m.parameters()) != sum(p.numel() for p in model.parameters()):
        raise NotBatchable("model has parameters outside its Linear and norm layers")
    kinds = [isinstance(m, nn.Linear) for m in core]
    if not kept or kinds != [i % 2 == 0 for i in range(len(core))] or not kinds[-1] \
            or not isinstance(kept[0][1], nn.Linear):
        raise NotBatchable("model is not an alternating Linear/activation stack")
    return kept


def stack_members(models: Sequence[nn.Module]) -> MLP:
    """One :class:`~gradlab.models.mlp.MLP` with a member axis from M same-shaped MLPs.

    Args:
        models: the members, each built as a single run builds it (an ``MLP`` or any
            ``nn.Sequential`` of alternating Linear and activation layers, with or without a
            BatchNorm1d or LayerNorm in each block).

    Returns:
        An ``MLP`` whose ``members`` is M, with the members' layer names and weights.

    Raises:
        NotBatchable: shapes, names or layer types differ, or a layer keeps state or
            parameters the member axis does not hold (scheduled activations, learnable ones
            other than PReLU, norms other than BatchNorm1d and LayerNorm).
    """
    from collections import OrderedDict

    layouts = [_layout(m) for m in models]
    names = [n for n, _ in layouts[0]]
    if any([n for n, _ in lay] != names for lay in layouts) or any("." in n for n in names):
        raise NotBatchable("members have different or nested layer names")
    layers: OrderedDict[str, nn.Module] = OrderedDict()
    for pos, name in enumerate(names):
        layers[name] = _stack_layer([lay[pos][1] for lay in layouts])
    linears = [m for _, m in layouts[0] if isinstance(m, nn.Linear)]
    first = models[0]
    shape = getattr(first, "input_shape", (linears[0].in_features,))
    hidden = [layer.out_features for layer in linears[:-1]]
    net = MLP(layers, shape, hidden, getattr(first, "act_spec", None), members=len(models))
    return net.to(linears[0].weight.device)


def member_count(net: nn.Module) -> int:
    """M of a member-axis model (built by :func:`stack_members`)."""
    members = getattr(net, "members", None)
    if not isinstance(members, int):
        raise TypeError(f"{type(net).__name__} has no member axis (build it with stack_members)")
    return members


def member_linears(net: nn.Module) -> Iterator[tuple[str, MemberLinear]]:
    """``(name, layer)`` of every member-grouped Linear layer of ``net``, in order."""
    return ((name, m) for name, m in net.named_children() if isinstance(m, MemberLinear))


def member_state(net: nn.Module, i: int) -> dict[str, Tensor]:
    """Member ``i``'s state dict (parameters and running statistics) under its own names
    (``fc1.weight``, ``norm1.running_mean`` ...), copied: ``load_state_dict`` of a single model takes it."""
    return {name: t[i].clone() for name, t in net.state_dict().items()}
