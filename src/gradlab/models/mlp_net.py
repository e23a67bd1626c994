"""The network the MLP builder returns: an ``nn.Sequential`` that knows its shape and members."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import torch
import torch.nn as nn

from gradlab.models._blocks import describe_act


class MLP(nn.Sequential):
    """An ``nn.Sequential`` that flattens its input: ``(N, *input_shape) -> (N, n_outputs)``.

    Attributes:
        input_shape: the shape of one sample.
        hidden: the hidden layer widths.
        act_spec: the activation the hidden layers were built from (a spec string or a name).
        members: None for one network; M for M networks on a member axis
            (:mod:`gradlab.models.members`), which take ``[N, in]`` (shared) or ``[M, N, in]``
            and return ``[M, N, n_outputs]``.
    """

    def __init__(self, layers: "OrderedDict[str, nn.Module]", input_shape: tuple, hidden: list, act: Any,
                 members: int | None = None):
        super().__init__(layers)
        self.input_shape = tuple(input_shape)
        self.hidden = list(hidden)
        # kept as a description: an nn.Module stored here would become a layer of the Sequential
        self.act_spec = describe_act(act)
        self.members = members

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102
        if self.members is None and x.dim() > 2:
            x = x.flatten(1)
        return super().forward(x)
