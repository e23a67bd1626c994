"""Activations called as functions (``F.relu``, ``torch.tanh``, ``x.relu()``), seen through a mode.

A :class:`torch.overrides.TorchFunctionMode` sees every torch function and tensor method called
while it is on the mode stack. The watch pushes it only for the duration of a training forward
of the watched model, and attributes each activation call to the module whose forward is
running (a path stack kept by forward pre/post hooks). Per call the cost of an unrelated op is
one dict lookup.
"""

from __future__ import annotations

from typing import Any, Callable

import torch
import torch.nn.functional as F
from torch.overrides import TorchFunctionMode

T = torch.Tensor

# func -> (canonical activation name, names of its positional parameters after the input,
#          whether it overwrites its input)
_SPECS: list[tuple[Any, str, tuple[str, ...], bool]] = [
    (F.relu, "relu", ("inplace",), False),
    (torch.relu, "relu", (), False),
    (T.relu, "relu", (), False),
    (torch.relu_, "relu", (), True),
    (T.relu_, "relu", (), True),
    (F.relu6, "relu6", ("inplace",), False),
    (F.leaky_relu, "leaky_relu", ("negative_slope", "inplace"), False),
    (F.leaky_relu_, "leaky_relu", ("negative_slope",), True),
    (F.elu, "elu", ("alpha", "inplace"), False),
    (F.selu, "selu", ("inplace",), False),
    (torch.selu, "selu", (), False),
    (F.celu, "celu", ("alpha", "inplace"), False),
    (F.gelu, "gelu", (), False),
    (F.silu, "silu", ("inplace",), False),
    (F.mish, "mish", ("inplace",), False),
    (F.softplus, "softplus", ("beta", "threshold"), False),
    (F.hardtanh, "hardtanh", ("min_val", "max_val", "inplace"), False),
    (F.hardsigmoid, "hard_sigmoid", ("inplace",), False),
    (F.hardswish, "hardswish", ("inplace",), False),
    (torch.sigmoid, "sigmoid", (), False),
    (T.sigmoid, "sigmoid", (), False),
    (T.sigmoid_, "sigmoid", (), True),
    (F.sigmoid, "sigmoid", (), False),
    (torch.tanh, "tanh", (), False),
    (T.tanh, "tanh", (), False),
    (T.tanh_, "tanh", (), True),
    (F.tanh, "tanh", (), False),
]
FUNCTIONS: dict[Any, tuple[str, tuple[str, ...], bool]] = {}
for _f, _name, _pos, _inplace in _SPECS:
    FUNCTIONS.setdefault(_f, (_name, _pos, _inplace))

# Parameters that shape the derivative (others, like ``inplace``, only change how it runs).
_INFO_PARAMS = {"negative_slope", "alpha", "beta", "threshold", "min_val", "max_val", "approximate"}


def call_params(func: Any, args: tuple, kwargs: dict) -> tuple[dict[str, Any], bool]:
    """The derivative-relevant parameters of one call and whether it runs in place."""
    _name, positional, inplace = FUNCTIONS[func]
    params = dict(zip(positional, args[1:]))
    params.update(kwargs)
    inplace = inplace or bool(params.pop("inplace", False))
    return {k: v for k, v in params.items() if k in _INFO_PARAMS}, inplace


def functional_info(name: str, params: dict[str, Any]):
    """ActivationInfo for a functional call, from the canonical name and call parameters."""
    from gradlab.components.act_info import build_info

    return build_info(name, **params)


class ActivationMode(TorchFunctionMode):
    """Hands every activation function call to ``on_call``; everything else passes through.

    Args:
        on_call: ``on_call(func, args, kwargs) -> output``; must run ``func`` itself. While
            it runs, this mode is off the stack (PyTorch disables a mode inside its handler),
            so statistics computed there are not seen again.
        owner: an object whose ``_busy`` attribute, when true, lets calls pass untouched (the
            watch sets it while its own hooks compute statistics).
    """

    def __init__(self, on_call: Callable[[Any, tuple, dict], Any], owner: Any):
        super().__init__()
        self.on_call = on_call
        self.owner = owner

    def __torch_function__(self, func, types, args=(), kwargs=None):
        if kwargs is None:
            kwargs = {}
        try:
            hit = func in FUNCTIONS
        except TypeError:  # an unhashable callable cannot be an activation
            hit = False
        if not hit or self.owner._busy:
            return func(*args, **kwargs)
        return self.on_call(func, args, kwargs)
