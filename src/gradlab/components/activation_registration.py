"""``register_activation``: declare a custom activation for the watch and the diagnoses.

Kept apart from :mod:`gradlab.components.external_activations` (which the activation registry
reads) because declaring ``like="silu"`` reads the registry: one-way imports both ways.
"""

from __future__ import annotations

from typing import Any, Callable

from torch import Tensor, nn

from gradlab.components.activations import activation_info
from gradlab.components.external_activations import (
    _REGISTERED,
    Fixed,
    info_from_derivative,
    label_of,
    renamed,
    unregister_activation,
)
from gradlab.errors import ConfigError


def register_activation(
    obj: Any,
    like: str | None = None,
    derivative: Callable[[Tensor], Tensor] | None = None,
    name: str | None = None,
) -> Any:
    """Declare a custom activation (a module class or a function) for the watch and diagnoses.

    Example:
        >>> class MySwish(nn.Module):                       # doctest: +SKIP
        ...     def forward(self, x): return x * torch.sigmoid(1.5 * x)
        >>> gradlab.register_activation(MySwish, like="silu")            # doctest: +SKIP
        >>> gradlab.register_activation(MySwish, derivative=lambda z: ...)  # doctest: +SKIP

    Args:
        obj: an ``nn.Module`` subclass (its instances are one site each; calls inside them are
            not separate sites) or a function used through ``gradlab.create_activation(fn)``.
        like: a built-in activation spec whose derivative it shares (``"silu"``,
            ``"leaky_relu(0.1)"``).
        derivative: ``f'(z)`` elementwise from the pre-activation; gradient floor, maximum and
            saturation are read from it on a float64 grid.
        name: the name shown in vitals and findings (default: ``like``'s name, else the lowercased
            class or function name).

    Returns:
        ``obj`` (so it works as a class decorator with ``functools.partial``).

    Raises:
        ConfigError: neither or both of ``like`` and ``derivative``; ``obj`` not a module class or
            callable; an unknown ``like``.
    """
    if (like is None) == (derivative is None):
        raise ConfigError(
            f"register_activation({label_of(obj)}) needs exactly one of like='silu' (a built-in it "
            "behaves like) or derivative=f' (a function of the pre-activation)"
        )
    if not (isinstance(obj, type) and issubclass(obj, nn.Module)) and not callable(obj):
        raise ConfigError(f"register_activation needs an nn.Module class or a function, got {obj!r}")
    if like is not None:
        base = activation_info(like)  # raises with a did-you-mean on a typo
        if base is None:
            raise ConfigError(f"like={like!r} is not an activation")
        info = renamed(base, name or base.name)
    else:
        if not callable(derivative):
            raise ConfigError(f"derivative must be a function of the pre-activation, got {derivative!r}")
        info = info_from_derivative(name or label_of(obj).lower(), derivative)
    _REGISTERED[obj] = Fixed(info)
    return obj



__all__ = ["register_activation", "unregister_activation"]
