"""BatchNorm and LayerNorm with a member axis: M norm layers of one shape as one, ``[M, N, F]`` in and out.

The normalisation is torch's own. For BatchNorm the member axis is folded into the features: one
``F.batch_norm`` over channels ``M*F`` takes each member's statistics over its own ``N`` rows, and
updates the ``[M, F]`` running mean and variance in place through ``[M*F]`` views, with the
momentum, the unbiased variance and ``num_batches_tracked`` of ``nn.BatchNorm1d``; in eval mode
each member uses its own running statistics. ``F.layer_norm`` normalises each row on its own, so
over ``[M, N, F]`` it is already each member's. Each member's affine weight and bias are the
``[M, F]`` rows of one parameter, and the state-dict keys are those of the single layers, each
tensor with a leading member axis.
"""

from __future__ import annotations

from typing import Sequence, cast

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from gradlab.errors import NotBatchable


def _stacked(layers: Sequence[nn.Module], name: str) -> Tensor | None:
    """The members' ``name`` tensors (weight, running_mean ...) stacked, or None if they have none."""
    own = [getattr(layer, name) for layer in layers]
    if any((t is None) != (own[0] is None) for t in own):
        raise NotBatchable(f"a norm layer has a {name} in some members only")
    return None if own[0] is None else torch.stack([t.detach() for t in own]).clone()


def _same_options(layers: Sequence[nn.Module], keys: tuple[str, ...]) -> None:
    first = layers[0]
    for key in keys:
        if any(getattr(layer, key) != getattr(first, key) for layer in layers):
            raise NotBatchable(f"members' {type(first).__name__} layers differ in {key!r}")


class _MemberNorm(nn.Module):
    """The members' affine weight and bias, ``[M, F]`` parameters (None when not affine)."""

    def __init__(self, layers: Sequence[nn.Module]):
        super().__init__()
        weight, bias = _stacked(layers, "weight"), _stacked(layers, "bias")
        self.weight = nn.Parameter(weight) if weight is not None else None
        self.bias = nn.Parameter(bias) if bias is not None else None
        self.members = len(layers)

    @staticmethod
    def _flat(t: Tensor | None) -> Tensor | None:
        return None if t is None else t.view(-1)


class MemberBatchNorm(_MemberNorm):
    """M ``nn.BatchNorm1d`` layers: ``[M, N, F]``, each member normalised over its own ``N`` rows."""

    def __init__(self, layers: Sequence[nn.Module]):
        _same_options(layers, ("num_features", "eps", "momentum", "affine", "track_running_stats"))
        super().__init__(layers)
        first = cast(nn.BatchNorm1d, layers[0])
        self.num_features, self.eps, self.momentum = first.num_features, first.eps, first.momentum
        self.track_running_stats = first.track_running_stats
        self.running_mean: Tensor | None
        self.running_var: Tensor | None
        self.num_batches_tracked: Tensor | None
        for name in ("running_mean", "running_var", "num_batches_tracked"):
            self.register_buffer(name, _stacked(layers, name))
        counts = self.num_batches_tracked
        if self.momentum is None and counts is not None and not bool((counts == counts[0]).all()):
            # a cumulative average needs one count for all members (they step together from here)
            raise NotBatchable("members' BatchNorm layers have seen different numbers of batches")

    def forward(self, x: Tensor) -> Tensor:  # noqa: D102
        m, n, f = x.shape
        # nn.BatchNorm1d's own reading of its options, then its one functional call
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked.add_(1)
            if self.momentum is None:  # cumulative moving average (equal counts: see __init__)
                factor = 1.0 / float(self.num_batches_tracked[0])
        batch_stats = self.training or self.running_mean is None
        track = not self.training or self.track_running_stats
        # [M, N, F] as a row-major [N, M*F]: the layout of a single BatchNorm1d's [N, F] input, so
        # torch takes the same kernel: each member's output equals the single layer's to the bit
        y = F.batch_norm(x.transpose(0, 1).reshape(n, m * f).contiguous(),
                         self._flat(self.running_mean) if track else None,
                         self._flat(self.running_var) if track else None,
                         self._flat(self.weight), self._flat(self.bias), batch_stats, factor, self.eps)
        return y.view(n, m, f).transpose(0, 1)

    def extra_repr(self) -> str:  # noqa: D102
        return (f"members={self.members}, {self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.weight is not None}, track_running_stats={self.track_running_stats}")


class MemberLayerNorm(_MemberNorm):
    """M ``nn.LayerNorm`` layers over the last dimension: ``[M, N, F]``, each sample of each member."""

    def __init__(self, layers: Sequence[nn.Module]):
        _same_options(layers, ("normalized_shape", "eps"))
        first = cast(nn.LayerNorm, layers[0])
        if len(first.normalized_shape) != 1:
            raise NotBatchable("a LayerNorm over more than the last dimension is not batched")
        super().__init__(layers)
        self.normalized_shape, self.eps = tuple(first.normalized_shape), first.eps

    def forward(self, x: Tensor) -> Tensor:  # noqa: D102
        # LayerNorm normalises each row on its own: over [M, N, F] it is each member's own; the
        # member's affine after it is the same arithmetic as inside nn.LayerNorm (equal to the bit)
        y = F.layer_norm(x, self.normalized_shape, eps=self.eps)
        w, b = self.weight, self.bias
        if w is not None:
            return torch.addcmul(b.unsqueeze(1), y, w.unsqueeze(1)) if b is not None else y * w.unsqueeze(1)
        return y + b.unsqueeze(1) if b is not None else y

    def extra_repr(self) -> str:  # noqa: D102
        return f"members={self.members}, {self.normalized_shape}, eps={self.eps}"


def stack_norms(layers: list[nn.Module]) -> nn.Module | None:
    """The members' norm layers as one member-axis layer; None when they are not norm layers."""
    kinds = {type(layer) for layer in layers}
    if not kinds & {nn.BatchNorm1d, nn.LayerNorm}:
        return None
    if len(kinds) != 1:
        raise NotBatchable(f"members use different norm layers {sorted(k.__name__ for k in kinds)}")
    return MemberBatchNorm(layers) if kinds == {nn.BatchNorm1d} else MemberLayerNorm(layers)
