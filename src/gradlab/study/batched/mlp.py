"""An ensemble of same-shaped MLPs whose parameters carry a leading member dimension.

``W[l]`` has shape ``[M, out, in]`` and ``b[l]`` ``[M, out]``; one feature-major ``baddbmm`` per layer runs
every member. Because each member's loss depends only on its own parameters, the gradient of the
*sum* of the member losses is, slice by slice, each member's own gradient: one backward trains
them all, and nothing is hidden from the vitals the way it would be inside a plain ``vmap``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from gradlab.study.batched.activations import BatchedActivation, batch_activations
from gradlab.study.batched.errors import NotBatchable


@dataclass
class Trace:
    """What one recorded forward pass saw, per activation site (all ``[M, N, units]``)."""

    pre: dict[str, Tensor]
    out: dict[str, Tensor]
    linear_out: dict[str, Tensor]
    x: Tensor | None = None  # the batch fed in (``[N, in]`` shared or ``[M, N, in]``)


def _layout(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """The leaf modules of ``model`` in registration order, checked to be Linear/activation."""
    leaves = [(name, m) for name, m in model.named_modules() if not list(m.children())]
    kept = []
    for name, m in leaves:
        if isinstance(m, nn.Dropout) and m.p == 0.0:
            continue
        if isinstance(m, nn.Flatten):
            continue
        if isinstance(m, nn.Identity) and not (kept and isinstance(kept[-1][1], nn.Linear)):
            continue  # an identity "norm" slot after an activation; an identity activation stays
        if any(True for _ in m.buffers()):
            raise NotBatchable(f"module {name!r} ({type(m).__name__}) keeps buffers")
        kept.append((name, m))
    own = sum(p.numel() for _, m in kept for p in m.parameters())
    if own != sum(p.numel() for p in model.parameters()):
        raise NotBatchable("model has parameters outside its Linear layers")
    kinds = ["linear" if isinstance(m, nn.Linear) else "act" for _, m in kept]
    expected = ["linear" if i % 2 == 0 else "act" for i in range(len(kept))]
    if not kept or kinds != expected or kinds[-1] != "linear":
        raise NotBatchable("model is not an alternating Linear/activation stack")
    return kept


class BatchedMLP:
    """M MLPs of one shape trained together.

    Attributes:
        linear_names: module paths of the Linear layers (``fc1``..``fcN``), as the watch names them.
        act_names: module paths of the activations (``act1``..).
        weights: leaf tensors ``[M, out, in]``; biases: leaf tensors ``[M, out]`` or None.
        acts: one :class:`BatchedActivation` per hidden layer.
    """

    def __init__(self, models: list[nn.Module], device=None):
        layouts = [_layout(m) for m in models]
        names = [n for n, _ in layouts[0]]
        if any([n for n, _ in lay] != names for lay in layouts):
            raise NotBatchable("members have different layer names")
        self.size = len(models)
        self.linear_names = names[0::2]
        self.act_names = names[1::2]
        self.weights: list[Tensor] = []
        self.biases: list[Tensor | None] = []
        for pos in range(0, len(names), 2):
            layers = [lay[pos][1] for lay in layouts]
            shapes = {tuple(layer.weight.shape) for layer in layers}
            if len(shapes) != 1:
                raise NotBatchable(f"layer {names[pos]!r} has different shapes across members")
            w = torch.stack([layer.weight.detach() for layer in layers]).to(device).clone()
            self.weights.append(w.requires_grad_(True))
            has_bias = {layer.bias is not None for layer in layers}
            if has_bias == {True}:
                b = torch.stack([layer.bias.detach() for layer in layers]).to(device).clone()
                self.biases.append(b.requires_grad_(True))
            elif has_bias == {False}:
                self.biases.append(None)
            else:
                raise NotBatchable(f"layer {names[pos]!r} has a bias in some members only")
        self.acts: list[BatchedActivation] = [
            batch_activations([lay[pos][1] for lay in layouts], device)
            for pos in range(1, len(names), 2)
        ]

    def parameters(self) -> list[Tensor]:
        """The trainable tensors in the order ``W1, b1, W2, b2, ...`` (biases may be absent)."""
        out = []
        for w, b in zip(self.weights, self.biases):
            out.append(w)
            if b is not None:
                out.append(b)
        return out

    def named_parameters(self) -> list[tuple[str, str, Tensor]]:
        """``(layer, param, tensor)`` triples, e.g. ``("fc1", "weight", W1)``."""
        out = []
        for name, w, b in zip(self.linear_names, self.weights, self.biases):
            out.append((name, "weight", w))
            if b is not None:
                out.append((name, "bias", b))
        return out

    def forward(self, x: Tensor, trace: Trace | None = None) -> Tensor:
        """Run every member: ``x`` is ``[N, in]`` (shared) or ``[M, N, in]``; returns ``[M, N, out]``.

        With ``trace`` the pre-activations, activation outputs and Linear outputs are kept (the
        Linear outputs retain their gradient so ``out_grad_norm`` can be read after backward).
        """
        h = x if x.dim() == 3 else x.unsqueeze(0).expand(self.size, *x.shape)
        h = h.flatten(2) if h.dim() > 3 else h
        for i, (w, b) in enumerate(zip(self.weights, self.biases)):
            # feature-major product [M, out, in] @ [M, in, N], handed back as an [M, N, out] view:
            # with the long sample dimension last, MKL's batched GEMM runs ~10x faster on these
            # tiny layers than with it first (benchmarks/bench_ensemble.py)
            ht = h.transpose(1, 2)
            z = (torch.baddbmm(b.unsqueeze(2), w, ht) if b is not None else torch.bmm(w, ht)).transpose(1, 2)
            if trace is not None:
                z.retain_grad()
                trace.linear_out[self.linear_names[i]] = z
            if i == len(self.acts):
                return z
            h = self.acts[i](z)
            if trace is not None:
                trace.pre[self.act_names[i]] = z
                trace.out[self.act_names[i]] = h
        raise AssertionError("unreachable: the layout ends with a Linear layer")

    __call__ = forward

    def snapshot(self) -> list[Tensor]:
        """A detached copy of every parameter (for best-dev checkpoints)."""
        return [p.detach().clone() for p in self.parameters()]

    @torch.no_grad()
    def restore(self, saved: list[Tensor], members: Tensor | None = None) -> None:
        """Copy ``saved`` back, for every member or only where the bool mask ``members`` holds."""
        for p, s in zip(self.parameters(), saved):
            if members is None:
                p.copy_(s)
            else:
                p[members] = s[members]

    def member_state(self, i: int) -> dict[str, Tensor]:
        """Member ``i``'s parameters under its own ``nn.Module`` names (``fc1.weight`` ...)."""
        return {f"{layer}.{param}": t[i].detach().clone() for layer, param, t in self.named_parameters()}
