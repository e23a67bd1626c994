"""Small pieces every model builder shares: activations, norms, dropout, init, argument checks.

Component specs are resolved through :mod:`gradlab.components` (imported lazily, so building a
model with plain ``nn.Module`` classes needs nothing else). Each call returns a *fresh* module:
two layers never share one activation object, so a learnable slope stays per layer and the watch
sees one module per site.
"""

from __future__ import annotations

import copy
import math
from typing import Any, Iterable, Sequence, TypeVar

import torch.nn as nn

from gradlab.errors import ConfigError

M = TypeVar("M", bound=nn.Module)

NORMS = ("none", "batch", "layer")
NORM_POSITIONS = ("before", "after")


def make_activation(spec: Any) -> nn.Module:
    """A fresh activation module from a spec string, a module class, an instance or a function.

    An instance is deep-copied so that layers never share parameters (a PReLU slope per layer).
    """
    if isinstance(spec, nn.Module):
        return copy.deepcopy(spec)
    if isinstance(spec, type) and issubclass(spec, nn.Module):
        return spec()
    from gradlab.components.activations import create_activation

    return create_activation(spec)


def describe_act(spec: Any) -> Any:
    """The activation spec as a value safe to keep on a model (a string for modules/classes)."""
    if isinstance(spec, str) or spec is None:
        return spec
    if isinstance(spec, nn.Module):
        return repr(spec)
    return getattr(spec, "__name__", repr(spec))


def make_norm(norm: str, features: int, dims: int) -> nn.Module | None:
    """BatchNorm / LayerNorm over ``features`` channels; ``dims`` is 1 (vectors) or 2 (images).

    For images "layer" normalizes each sample over channels and space (``GroupNorm(1, C)``),
    the usual convolutional reading of LayerNorm (Ba et al., 2016).
    """
    if norm == "none":
        return None
    if norm == "batch":
        return nn.BatchNorm1d(features) if dims == 1 else nn.BatchNorm2d(features)
    if norm == "layer":
        return nn.LayerNorm(features) if dims == 1 else nn.GroupNorm(1, features)
    raise ConfigError(f"unknown norm {norm!r} (choices: {', '.join(NORMS)})")


def make_dropout(spec: Any, dims: int = 1) -> nn.Module | None:
    """Dropout from a probability (``0.2``) or a spec (``"alpha_dropout(0.1)"``); None for 0."""
    if spec is None or spec is False:
        return None
    if isinstance(spec, (int, float)) and not isinstance(spec, bool):
        p = float(spec)
        if not 0.0 <= p < 1.0:
            raise ConfigError(f"dropout must be a probability in [0, 1), got {spec!r}")
        if p == 0.0:
            return None
        return nn.Dropout(p) if dims == 1 else nn.Dropout2d(p)
    if isinstance(spec, nn.Module):
        return copy.deepcopy(spec)
    if isinstance(spec, type) and issubclass(spec, nn.Module):
        return spec()
    from gradlab.components.regularizers import create_dropout

    return create_dropout(spec)


def check_choice(label: str, value: Any, choices: Sequence[str]) -> str:
    """Return ``value`` if it is one of ``choices``, else raise a ConfigError naming both."""
    if value not in choices:
        raise ConfigError(f"{label} must be one of {', '.join(map(repr, choices))}, got {value!r}")
    return value


def check_positive_int(label: str, value: Any) -> int:
    """An integer >= 1, else a ConfigError naming the bad value."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{label} must be a positive integer, got {value!r}")
    return value


def check_sizes(label: str, sizes: Iterable[Any], allow_empty: bool = True) -> list[int]:
    """A list of positive layer sizes (``hidden=[0]`` is impossible and says so)."""
    if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Iterable):
        raise ConfigError(f"{label} must be a list of positive integers, got {sizes!r}")
    out = list(sizes)
    if not out and not allow_empty:
        raise ConfigError(f"{label} must hold at least one size, got {out!r}")
    for s in out:
        if isinstance(s, bool) or not isinstance(s, int) or s < 1:
            raise ConfigError(
                f"{label} must be a list of positive integers, got {out!r} (bad entry {s!r})"
            )
    return out


def check_shape(input_shape: Any) -> tuple[int, ...]:
    """Normalize ``input_shape`` (an int or a sequence of positive ints) to a tuple."""
    shape = (input_shape,) if isinstance(input_shape, int) else tuple(input_shape or ())
    if not shape or any(isinstance(s, bool) or not isinstance(s, int) or s < 1 for s in shape):
        raise ConfigError(f"input_shape must be positive integers such as (2,) or (1, 28, 28), got {input_shape!r}")
    return shape


def flat_size(shape: Sequence[int]) -> int:
    """Number of features in one flattened sample."""
    return int(math.prod(shape))


def init_model(model: M, init: Any, bias_init: Any, act: Any) -> M:
    """Apply weight/bias initializers (``"default"`` keeps PyTorch's) with the act for the gain."""
    if _is_default(init) and _is_default(bias_init):
        return model
    from gradlab.components.init import apply_init

    apply_init(model, weight=init, bias=bias_init, act=act)  # in place
    return model


def _is_default(spec: Any) -> bool:
    return spec is None or (isinstance(spec, str) and spec.strip().lower() == "default")
