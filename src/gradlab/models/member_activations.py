"""Learnable activations with a member axis: M PReLU layers of one shape as one.

:class:`MemberPReLU` is an ``nn.PReLU`` whose weight holds every member's slopes, ``[M, 1]`` or
``[M, C]``, stepped by the member optimizer like any parameter. The activation is torch's own
``F.prelu``: the ``[M, N, C]`` input is laid out as ``[N, M*C]`` with each member's slopes as
its ``C`` channels, so every member uses its own. Being an ``nn.PReLU``, the watch reads it as
one (its derivative takes the member axis, :func:`gradlab.components.act_info.channel_view`).
"""

from __future__ import annotations

from typing import Sequence, cast

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from gradlab.errors import NotBatchable


class MemberPReLU(nn.PReLU):
    """M ``nn.PReLU`` layers: ``[M, N, C]`` in and out, member ``m`` with its slopes ``weight[m]``.

    Raises:
        NotBatchable: the members differ in ``num_parameters`` or in their initial slopes (the
            watch describes one PReLU layer by the slopes it starts from, as the single watch does).
    """

    def __init__(self, layers: Sequence[nn.Module]):
        own = [cast(nn.PReLU, layer) for layer in layers]
        if any(layer.num_parameters != own[0].num_parameters for layer in own):
            raise NotBatchable("members' PReLU layers differ in num_parameters")
        if any(not torch.equal(layer.weight, own[0].weight) for layer in own):
            raise NotBatchable("members' PReLU layers start from different slopes")
        super().__init__(own[0].num_parameters)
        self.weight = nn.Parameter(torch.stack([layer.weight.detach() for layer in own]).clone())
        self.members = len(own)

    def forward(self, x: Tensor) -> Tensor:  # noqa: D102
        m, n, c = x.shape
        w = self.weight.expand(m, c) if self.num_parameters == 1 else self.weight
        return F.prelu(x.transpose(0, 1).reshape(n, m * c), w.reshape(m * c)).view(n, m, c).transpose(0, 1)

    def extra_repr(self) -> str:  # noqa: D102
        return f"members={self.members}, num_parameters={self.num_parameters}"
