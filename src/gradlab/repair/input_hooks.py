"""Fixes of the model's inputs, as forward pre-hooks on the model: the user's data is not reached.

Two findings point at the data rather than at the model: NaN/Inf arriving at the first layer
(``non_finite`` with source ``input``) and inputs far from zero mean and unit scale. Their real
fix belongs in the user's data pipeline, and the code repair prints says so; to prove that the
fix helps, repair applies the same transformation on the way into the model, to the floating
tensors its ``forward`` is called with (training and evaluation alike, as a cleaned data set
would be):

* :func:`sanitize_inputs` replaces NaN and ±Inf by 0 — a stop-gap that lets training proceed on
  the finite part of the data while hiding the broken rows;
* :func:`standardize_inputs` subtracts the per-feature mean and divides by the per-feature standard
  deviation of the first batch the model trains on (frozen afterwards: what standardizing with the
  training set's statistics does, estimated from one batch).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn


def _is_float(a: Any) -> bool:
    return isinstance(a, torch.Tensor) and a.is_floating_point()


def _zero_non_finite(x: torch.Tensor) -> torch.Tensor:
    return torch.nan_to_num(x, nan=0.0, posinf=0.0, neginf=0.0)


def sanitize_inputs(model: nn.Module) -> Any:
    """Replace NaN/Inf in every floating tensor argument of ``model``'s forward by 0.

    Positional and keyword arguments alike (``model(input_ids=..., pixel_values=...)``), and
    the tensors inside a dict, list or tuple argument (a batch passed whole).

    Returns:
        The hook's handle (``handle.remove()`` undoes it).
    """

    def clean(obj: Any) -> Any:  # a batch may come as a dict, list or tuple of tensors
        if _is_float(obj):
            return _zero_non_finite(obj)
        if isinstance(obj, dict):
            return type(obj)((k, clean(v)) for k, v in obj.items())
        if isinstance(obj, (list, tuple)) and not hasattr(obj, "_fields"):
            return type(obj)(clean(v) for v in obj)
        return obj

    def hook(_module: nn.Module, args: tuple, kwargs: dict) -> tuple[tuple, dict]:
        return tuple(clean(a) for a in args), {k: clean(v) for k, v in kwargs.items()}

    # prepend: ahead of any hook already there (the watch's input counters see the cleaned input)
    return model.register_forward_pre_hook(hook, prepend=True, with_kwargs=True)


def _feature_dims(x: torch.Tensor) -> tuple[int, ...]:
    """The dims statistics are taken over: the batch, and for images/sequences all but dim 1."""
    return (0,) if x.dim() <= 2 else tuple(d for d in range(x.dim()) if d != 1)


class _Standardizer:
    """Standardizes the model's *first* argument only: the data; a mask or a second input that
    is already on its own scale is left alone."""

    def __init__(self) -> None:
        self.stats: tuple[torch.Tensor, torch.Tensor] | None = None

    def __call__(self, module: nn.Module, args: tuple) -> tuple | None:
        if not args or not _is_float(args[0]) or args[0].dim() < 1:
            return None
        x = args[0]
        if self.stats is None and module.training and torch.is_grad_enabled() and len(x) > 1:
            with torch.no_grad():
                dims = _feature_dims(x)
                finite = _zero_non_finite(x)
                std = finite.std(dim=dims, keepdim=True)
                self.stats = (finite.mean(dim=dims, keepdim=True), torch.where(std > 0, std, torch.ones_like(std)))
        if self.stats is None:
            return None
        mean, std = self.stats
        return ((x - mean) / std, *args[1:])


def standardize_inputs(model: nn.Module) -> Any:
    """Standardize the floating tensor ``model`` is called with (its first argument) per feature.

    Returns:
        The hook's handle (``handle.remove()`` undoes it).
    """
    return model.register_forward_pre_hook(_Standardizer(), prepend=True)


__all__ = ["sanitize_inputs", "standardize_inputs"]
