"""What one forward pass of a member-axis model saw, for the ensemble's per-member vitals.

Hooks would cost a Python call per layer and step on models this small; the ensemble's forward
instead walks the layers of the ordinary :class:`~gradlab.models.mlp.MLP` (member axis) itself and
keeps each layer's input and output, the output's gradient retained for ``out_grad_norm`` where
the layer has parameters (Linear, norms), as the watch's parameter-layer hooks do.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from torch import Tensor, nn

from gradlab.watch.layers import has_own_params


@dataclass
class Trace:
    """Per layer, the ``[M, N, units]`` input and output of one recorded forward pass (the batch
    fed to the first layer may be shared, ``[N, in]``)."""

    inputs: dict[str, Tensor] = field(default_factory=dict)
    outputs: dict[str, Tensor] = field(default_factory=dict)


def traced_forward(net: nn.Module, x: Tensor, trace: Trace | None) -> Tensor:
    """``net(x)``, keeping what ``trace`` asks for (None: the plain forward)."""
    if trace is None:
        return net(x)
    h = x
    for name, layer in net.named_children():
        trace.inputs[name] = h
        h = trace.outputs[name] = layer(h)
        if has_own_params(layer):
            h.retain_grad()
    return h
