"""CIFAR-style residual networks (He et al., 2016, "Deep Residual Learning", section 4.2).

Depth ``6n + 2``: a 3×3 stem conv, three stages of ``n`` basic blocks (two 3×3 convs each) at
widths ``w, 2w, 4w`` — the later stages start with stride 2 — global average pooling and a linear
layer. ResNet-8/20/56 are ``n = 1/3/9``; the paper uses ``w = 16``. The default shortcut is the
paper's option A for CIFAR: identity, subsampled and zero-padded in channels where the shape
changes, so the network has exactly ``6n + 2`` weighted layers; ``shortcut="conv"`` uses 1×1
projections (option B) instead.

Names: ``conv``/``norm``/``act`` (stem), ``layer1..3.{j}.conv1/norm1/act1/conv2/norm2/act2``
(``act2`` follows the addition), ``pool``, ``fc``. With ``functional=True`` the blocks call the
activation as a function (``F.relu``) instead of holding modules — as much code in the wild
does — which the watch must find through its functional probes.
"""

from __future__ import annotations

from typing import Any, Callable

import torch
import torch.nn as nn
import torch.nn.functional as F

from gradlab.components.spec import parse_spec
from gradlab.errors import ConfigError
from gradlab.models._blocks import check_choice, check_positive_int, check_shape, init_model, make_activation

_FUNCTIONALS = {"relu", "leaky_relu", "elu", "selu", "celu", "gelu", "silu", "mish", "softplus", "tanh", "sigmoid"}


def functional_activation(spec: Any) -> Callable[[torch.Tensor], torch.Tensor]:
    """``"leaky_relu(0.1)"`` -> ``F.leaky_relu(·, 0.1)`` (a torch function, no module)."""
    name, args, kwargs = ("relu", (), {}) if spec is None else _parts(spec)
    if name not in _FUNCTIONALS:
        raise ConfigError(
            f"functional=True supports activations {', '.join(sorted(_FUNCTIONALS))}, got {spec!r}"
        )
    fn = getattr(torch, name) if name in ("tanh", "sigmoid") else getattr(F, name)
    return _Functional(fn, args, kwargs)


class _Functional:
    """``fn(x, *args, **kwargs)`` as a plain picklable callable (not a module, unlike nn.ReLU)."""

    def __init__(self, fn: Callable, args: tuple, kwargs: dict):
        self.fn, self.args, self.kwargs = fn, tuple(args), dict(kwargs)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return self.fn(x, *self.args, **self.kwargs)


def _parts(spec: Any) -> tuple[str, tuple, dict]:
    if isinstance(spec, str):
        s = parse_spec(spec)
        return s.name, s.args, s.kwargs
    raise ConfigError(f"functional=True needs an activation spec string such as 'relu', got {spec!r}")


class BasicBlock(nn.Module):
    """Two 3×3 conv-norm layers with a shortcut; the activation follows the addition."""

    def __init__(self, c_in: int, c_out: int, stride: int, act: Any, norm: str, shortcut: str, functional: bool):
        super().__init__()
        use_bn = norm == "batch"
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=not use_bn)
        self.norm1 = nn.BatchNorm2d(c_out) if use_bn else nn.Identity()
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1, bias=not use_bn)
        self.norm2 = nn.BatchNorm2d(c_out) if use_bn else nn.Identity()
        self.functional = functional
        if functional:
            self._act = functional_activation(act)
        else:
            self.act1, self.act2 = make_activation(act), make_activation(act)
        self.reshape = stride != 1 or c_in != c_out
        self.pad = c_out - c_in
        self.stride = stride
        if self.reshape and shortcut == "conv":
            self.proj: nn.Module | None = nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride=stride, bias=not use_bn),
                                      nn.BatchNorm2d(c_out) if use_bn else nn.Identity())
        else:
            self.proj = None

    def shortcut(self, x: torch.Tensor) -> torch.Tensor:
        """Identity, or option A: subsample by the stride and zero-pad the new channels."""
        if not self.reshape:
            return x
        if self.proj is not None:
            return self.proj(x)
        x = x[:, :, :: self.stride, :: self.stride]
        return F.pad(x, (0, 0, 0, 0, 0, self.pad))

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102
        a1 = self._act if self.functional else self.act1
        a2 = self._act if self.functional else self.act2
        out = a1(self.norm1(self.conv1(x)))
        out = self.norm2(self.conv2(out))
        return a2(out + self.shortcut(x))


class ResNet(nn.Module):
    """The CIFAR ResNet; ``(N, C, H, W) -> (N, n_outputs)``."""

    def __init__(self, c_in: int, n_outputs: int, n: int, width: int, act: Any, norm: str, shortcut: str,
                 functional: bool):
        super().__init__()
        use_bn = norm == "batch"
        self.depth = 6 * n + 2
        self.conv = nn.Conv2d(c_in, width, 3, padding=1, bias=not use_bn)
        self.norm = nn.BatchNorm2d(width) if use_bn else nn.Identity()
        self.act: Callable[[torch.Tensor], torch.Tensor] = (
            functional_activation(act) if functional else make_activation(act))
        c = width
        for stage, c_out in enumerate((width, 2 * width, 4 * width), start=1):
            blocks = []
            for j in range(n):
                stride = 2 if stage > 1 and j == 0 else 1
                blocks.append(BasicBlock(c, c_out, stride, act, norm, shortcut, functional))
                c = c_out
            self.add_module(f"layer{stage}", nn.Sequential(*blocks))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(c, n_outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102
        x = self.act(self.norm(self.conv(x)))
        for stage in ("layer1", "layer2", "layer3"):
            x = self.get_submodule(stage)(x)
        return self.fc(self.pool(x).flatten(1))


def resnet(
    input_shape: Any,
    n_outputs: int = 10,
    *,
    depth: int = 20,
    width: int = 16,
    act: Any = "relu",
    norm: str = "batch",
    shortcut: str = "pad",
    functional: bool = False,
    init: Any = "default",
    bias_init: Any = "default",
) -> ResNet:
    """Build a CIFAR-style ResNet of ``depth = 6n + 2`` layers (8, 14, 20, 32, 44, 56, 110, ...).

    Args:
        input_shape: ``(channels, height, width)``.
        n_outputs: number of logits.
        depth: ``6n + 2`` for a whole ``n >= 1``.
        width: channels of the first stage (16 in the paper; 8 is a cheap lab setting).
        act: activation spec; a fresh module per site unless ``functional``.
        norm: ``"batch"`` or ``"none"``.
        shortcut: ``"pad"`` (option A, parameter-free) or ``"conv"`` (option B, 1×1 projection).
        functional: call the activation as a torch function instead of a module.
        init: weight initializer spec for conv and linear layers (gain follows ``act``).
        bias_init: bias initializer spec for the same layers.

    Raises:
        ConfigError: a depth that is not ``6n + 2``, a width <= 0, or a non-image input shape.
    """
    shape = check_shape(input_shape)
    if len(shape) != 3:
        raise ConfigError(f"resnet needs input_shape (channels, height, width), got {tuple(input_shape)!r}")
    check_positive_int("depth", depth)
    if depth < 8 or (depth - 2) % 6:
        raise ConfigError(f"resnet depth must be 6n+2 with n >= 1 (8, 14, 20, 32, 44, 56, 110), got {depth!r}")
    width = check_positive_int("width", width)
    n_outputs = check_positive_int("n_outputs", n_outputs)
    check_choice("norm", norm, ("batch", "none"))
    check_choice("shortcut", shortcut, ("pad", "conv"))
    model = ResNet(shape[0], n_outputs, (depth - 2) // 6, width, act, norm, shortcut, bool(functional))
    return init_model(model, init, bias_init, act)
