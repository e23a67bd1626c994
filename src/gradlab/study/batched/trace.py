"""What one forward pass of a member-axis model saw, for the ensemble's per-member vitals.

Hooks would cost a Python call per layer and step on models this small; the ensemble's forward
instead walks the layers of the ordinary :class:`~gradlab.models.mlp.MLP` (member axis) itself and
keeps the tensors the vitals reduce: each Linear output (its gradient retained for
``out_grad_norm``), and each activation's input and output.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from torch import Tensor, nn

from gradlab.models.members import MemberLinear


@dataclass
class Trace:
    """Per site, ``[M, N, units]`` tensors of one recorded forward pass."""

    pre: dict[str, Tensor] = field(default_factory=dict)
    out: dict[str, Tensor] = field(default_factory=dict)
    linear_out: dict[str, Tensor] = field(default_factory=dict)
    x: Tensor | None = None  # the batch fed in (``[N, in]`` shared or ``[M, N, in]``)


def traced_forward(net: nn.Module, x: Tensor, trace: Trace | None) -> Tensor:
    """``net(x)``, keeping what ``trace`` asks for (None: the plain forward)."""
    if trace is None:
        return net(x)
    trace.x = x
    h, last = x, None
    for name, layer in net.named_children():
        out = layer(h)
        if isinstance(layer, MemberLinear):
            out.retain_grad()
            trace.linear_out[name] = out
        else:
            trace.pre[name], trace.out[name] = h, out
        h, last = out, name
    assert last is not None, "a member-axis model has layers"
    return h
