"""Activations called as functions (``F.relu``, ``torch.tanh``, ``x.relu_()``): the one table.

The registry (:func:`gradlab.components.activations.activation_info`) and the watch (which
sees every torch call of a training forward through a ``TorchFunctionMode``) both look a
functional up here, so whatever one recognises the other does too. Each entry names the
callable, the canonical registry name, and its positional parameters after the input in the
order the callable takes them; a trailing underscore marks the in-place form.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import torch
import torch.nn.functional as F

# canonical name -> ((dotted path, positional parameter names after the input), ...)
_TABLE: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "relu": (
        ("F.relu", ("inplace",)), ("F.relu_", ()), ("torch.relu", ()), ("torch.relu_", ()),
        ("torch.Tensor.relu", ()), ("torch.Tensor.relu_", ()),
    ),
    "relu6": (("F.relu6", ("inplace",)),),
    "leaky_relu": (("F.leaky_relu", ("negative_slope", "inplace")), ("F.leaky_relu_", ("negative_slope",))),
    "prelu": (("F.prelu", ("weight",)), ("torch.prelu", ("weight",))),
    "rrelu": (
        ("F.rrelu", ("lower", "upper", "training", "inplace")),
        ("F.rrelu_", ("lower", "upper", "training")),
        ("torch.rrelu", ("lower", "upper", "training", "generator")),
        ("torch.rrelu_", ("lower", "upper", "training", "generator")),
    ),
    "elu": (("F.elu", ("alpha", "inplace")), ("F.elu_", ("alpha",))),
    "selu": (("F.selu", ("inplace",)), ("F.selu_", ()), ("torch.selu", ()), ("torch.selu_", ())),
    "celu": (
        ("F.celu", ("alpha", "inplace")), ("F.celu_", ("alpha",)),
        ("torch.celu", ("alpha",)), ("torch.celu_", ("alpha",)),
    ),
    "gelu": (("F.gelu", ("approximate",)),),
    "silu": (("F.silu", ("inplace",)),),
    "mish": (("F.mish", ("inplace",)),),
    "softplus": (("F.softplus", ("beta", "threshold")),),
    "sigmoid": (
        ("torch.sigmoid", ()), ("torch.sigmoid_", ()), ("F.sigmoid", ()), ("torch.special.expit", ()),
        ("torch.Tensor.sigmoid", ()), ("torch.Tensor.sigmoid_", ()),
    ),
    "hard_sigmoid": (("F.hardsigmoid", ("inplace",)),),
    "tanh": (
        ("torch.tanh", ()), ("torch.tanh_", ()), ("F.tanh", ()),
        ("torch.Tensor.tanh", ()), ("torch.Tensor.tanh_", ()),
    ),
    "hardtanh": (("F.hardtanh", ("min_val", "max_val", "inplace")), ("F.hardtanh_", ("min_val", "max_val"))),
    "hardswish": (("F.hardswish", ("inplace",)),),
}

# Call arguments that change how an activation runs, not its derivative.
_NOT_SHAPING = ("input", "inplace", "training", "generator")


@dataclass(frozen=True)
class Functional:
    """One activation callable.

    Attributes:
        path: how users spell it, ``"F.leaky_relu_"``, ``"torch.Tensor.relu"``.
        fn: the callable itself (what a ``TorchFunctionMode`` is handed).
        name: the canonical registry name, ``"leaky_relu"``.
        params: its positional parameter names after the input tensor.
        inplace: it always overwrites its input (``F.relu(x, inplace=True)`` does so on request).
    """

    path: str
    fn: Callable
    name: str
    params: tuple[str, ...]
    inplace: bool


def _resolve(path: str) -> Any:
    head, *rest = path.split(".")
    obj: Any = {"F": F, "torch": torch}[head]
    for part in rest:
        obj = getattr(obj, part, None)
    return obj


# Every entry whose callable this torch has, in table order.
ENTRIES: tuple[Functional, ...] = tuple(
    Functional(path, fn, name, params, path.endswith("_"))
    for name, forms in _TABLE.items()
    for path, params in forms
    if (fn := _resolve(path)) is not None
)

# callable -> its entry. Some spellings are one object (``F.prelu is torch.prelu``); the first
# entry wins, and they agree on the name and the parameters.
FUNCTIONALS: dict[Callable, Functional] = {}
for _entry in ENTRIES:
    FUNCTIONALS.setdefault(_entry.fn, _entry)

# callable -> canonical name.
FUNCTIONAL_NAMES: dict[Callable, str] = {fn: e.name for fn, e in FUNCTIONALS.items()}

# Tensor method names (``x.relu()``, ``x.sigmoid_()``) -> canonical name.
TENSOR_METHOD_NAMES: dict[str, str] = {
    e.path.rsplit(".", 1)[1]: e.name for e in ENTRIES if e.path.startswith("torch.Tensor.")
}


def lookup(fn: Any) -> Functional | None:
    """The table entry of ``fn``, or None when it is not an activation (or not hashable)."""
    try:
        return FUNCTIONALS.get(fn)
    except TypeError:  # an unhashable callable cannot be an activation
        return None


def functional_kwargs(fn: Callable, args: tuple = (), kwargs: dict | None = None) -> dict | None:
    """Name the derivative-shaping parameters of a call ``fn(x, *args, **kwargs)``.

    Args:
        fn: an activation callable (``F.leaky_relu``, ``torch.Tensor.relu_``, ...).
        args: the positional arguments after the input tensor.
        kwargs: the keyword arguments.

    Returns:
        The parameters by name, without those that only change how it runs (``inplace``,
        ``training``), or None when ``fn`` is not a known activation. Example:
        ``functional_kwargs(F.leaky_relu, (0.2,)) == {"negative_slope": 0.2}``.
    """
    entry = lookup(fn)
    if entry is None:
        return None
    bound = dict(zip(entry.params, args))
    bound.update(kwargs or {})
    return {k: v for k, v in bound.items() if k not in _NOT_SHAPING}


def strip_run_options(kwargs: dict[str, Any]) -> dict[str, Any]:
    """``kwargs`` without the arguments that do not shape the derivative (``inplace``, ...)."""
    return {k: v for k, v in kwargs.items() if k not in _NOT_SHAPING}


__all__ = [
    "ENTRIES",
    "FUNCTIONALS",
    "FUNCTIONAL_NAMES",
    "Functional",
    "TENSOR_METHOD_NAMES",
    "functional_kwargs",
    "lookup",
    "strip_run_options",
]
