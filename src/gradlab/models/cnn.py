"""A plain convolutional classifier: conv-norm-act blocks, global average pooling, a linear head.

Block ``i`` is ``conv{i}`` (3×3, same padding) → ``norm{i}`` → ``act{i}`` (or act then norm with
``norm_position="after"``) → ``drop{i}`` → ``pool{i}``; the pool halves the image after every
block but the last. Then ``gap`` (global average pool), ``flatten`` and the logits layer ``fc``.
Seed 000's "best practice" block is ``cnn(..., norm="batch", act="leaky_relu(0.2)", dropout=0.25)``.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Sequence

import torch.nn as nn

from gradlab.errors import ConfigError
from gradlab.models._blocks import (
    NORM_POSITIONS,
    NORMS,
    check_choice,
    check_positive_int,
    check_shape,
    check_sizes,
    describe_act,
    init_model,
    make_activation,
    make_dropout,
    make_norm,
)

POOLS = ("max", "avg", "none")


class CNN(nn.Sequential):
    """An ``nn.Sequential`` of named conv blocks; ``(N, C, H, W) -> (N, n_outputs)``."""

    def __init__(self, layers: "OrderedDict[str, nn.Module]", input_shape: tuple, channels: list, act: Any):
        super().__init__(layers)
        self.input_shape = tuple(input_shape)
        self.channels = list(channels)
        # kept as a description: an nn.Module stored here would become a layer of the Sequential
        self.act_spec = describe_act(act)


def cnn(
    input_shape: Any,
    n_outputs: int = 10,
    *,
    channels: Sequence[int] = (32, 64, 64, 128),
    kernel_size: int = 3,
    act: Any = "relu",
    norm: str = "batch",
    norm_position: str = "before",
    pool: str = "max",
    dropout: Any = 0.0,
    init: Any = "default",
    bias_init: Any = "default",
) -> CNN:
    """Build a CNN for images of shape ``(C, H, W)``.

    Args:
        input_shape: ``(channels, height, width)``, e.g. ``(1, 28, 28)`` or ``(3, 32, 32)``.
        n_outputs: number of logits.
        channels: output channels of each conv block.
        kernel_size: odd kernel size (padding keeps the image size).
        act: activation spec, a fresh module per block.
        norm: ``"none"``, ``"batch"`` (BatchNorm2d) or ``"layer"`` (GroupNorm with one group).
        norm_position: norm ``"before"`` or ``"after"`` the activation.
        pool: ``"max"``, ``"avg"`` or ``"none"``: 2×2 pooling after every block but the last.
        dropout: probability of ``Dropout2d`` after each block, or a dropout spec.
        init: weight initializer spec for conv and linear layers (gain follows ``act``).
        bias_init: bias initializer spec for the same layers.

    Raises:
        ConfigError: not an image shape, empty/zero channels, even kernel, or pooling that
            would shrink the image below one pixel.
    """
    shape = check_shape(input_shape)
    if len(shape) != 3:
        raise ConfigError(f"cnn needs input_shape (channels, height, width), got {tuple(input_shape)!r}")
    n_outputs = check_positive_int("n_outputs", n_outputs)
    widths = check_sizes("channels", channels, allow_empty=False)
    k = check_positive_int("kernel_size", kernel_size)
    if k % 2 == 0:
        raise ConfigError(f"kernel_size must be odd so padding keeps the size, got {kernel_size!r}")
    check_choice("norm", norm, NORMS)
    check_choice("norm_position", norm_position, NORM_POSITIONS)
    check_choice("pool", pool, POOLS)
    make_dropout(dropout, dims=2)

    layers: OrderedDict[str, nn.Module] = OrderedDict()
    c_in, h, w = shape
    for i, c_out in enumerate(widths, start=1):
        # a norm right after the conv makes the conv bias redundant (BN subtracts it again)
        bias = not (norm != "none" and norm_position == "before")
        layers[f"conv{i}"] = nn.Conv2d(c_in, c_out, k, padding=k // 2, bias=bias)
        norm_layer = make_norm(norm, c_out, dims=2)
        if norm_layer is not None and norm_position == "before":
            layers[f"norm{i}"] = norm_layer
        layers[f"act{i}"] = make_activation(act)
        if norm_layer is not None and norm_position == "after":
            layers[f"norm{i}"] = norm_layer
        drop = make_dropout(dropout, dims=2)
        if drop is not None:
            layers[f"drop{i}"] = drop
        if pool != "none" and i < len(widths):
            if h < 2 or w < 2:
                raise ConfigError(
                    f"cnn: {len(widths)} blocks with pooling shrink a {shape[1]}x{shape[2]} image below "
                    f"one pixel at block {i}; use fewer channels entries or pool='none'"
                )
            layers[f"pool{i}"] = nn.MaxPool2d(2) if pool == "max" else nn.AvgPool2d(2)
            h, w = h // 2, w // 2
        c_in = c_out
    layers["gap"] = nn.AdaptiveAvgPool2d(1)
    layers["flatten"] = nn.Flatten()
    layers["fc"] = nn.Linear(c_in, n_outputs)
    return init_model(CNN(layers, shape, widths, act), init, bias_init, act)
