"""Reaching the torch optimizer behind a framework's wrapper, and closure steps.

Accelerate's ``AcceleratedOptimizer``, Lightning's ``LightningOptimizer`` and the optimizer a
Hugging Face ``Trainer`` holds all wrap a ``torch.optim.Optimizer`` and forward ``step()`` to it
(or skip it, on an accumulation micro-step or an fp16 overflow). The watch hooks the inner
optimizer, so its step clock counts the updates that actually happen.
"""

from __future__ import annotations

from typing import Any

import torch

from gradlab.errors import ConfigError

# Attributes under which known wrappers keep the optimizer they wrap, tried in order:
# accelerate/transformers (``optimizer``), Lightning (``_optimizer``).
_INNER = ("optimizer", "_optimizer")


def unwrap_optimizer(optimizer: Any) -> torch.optim.Optimizer:
    """The ``torch.optim.Optimizer`` that ``optimizer`` is or wraps (through any depth).

    Raises:
        ConfigError: neither an optimizer nor a wrapper of one; the message says what to pass.
    """
    seen = []
    current = optimizer
    # AcceleratedOptimizer subclasses Optimizer without its hook state: descend whenever a
    # wrapped optimizer is there, not only when the type check fails
    while not isinstance(current, torch.optim.Optimizer) or _inner(current) is not None:
        seen.append(type(current).__name__)
        inner = _inner(current)
        if inner is None or inner is current or len(seen) > 8:
            chain = " -> ".join(seen)
            raise ConfigError(
                f"optimizer must be a torch.optim.Optimizer or a wrapper holding one in .optimizer, "
                f"got {chain}: pass the torch optimizer it wraps, or no optimizer and call w.step() "
                "after each update"
            )
        current = inner
    return current


def closure_of(args: tuple, kwargs: dict) -> tuple[Any, bool]:
    """The closure of an ``optimizer.step(...)`` call and whether it came positionally.

    ``args`` are what a step pre-hook receives: the optimizer itself, then the call's arguments.
    """
    if len(args) > 1 and callable(args[1]):
        return args[1], True
    if args and callable(args[0]) and not isinstance(args[0], torch.optim.Optimizer):
        return args[0], True
    closure = kwargs.get("closure")
    return (closure, False) if callable(closure) else (None, False)


def with_closure(args: tuple, kwargs: dict, closure: Any, positional: bool) -> tuple[tuple, dict]:
    """``(args, kwargs)`` of the step call with ``closure`` put back where it came from."""
    if positional:
        if args and isinstance(args[0], torch.optim.Optimizer):
            return (args[0], closure) + tuple(args[2:]), kwargs
        return (closure,) + tuple(args[1:]), kwargs
    return args, {**kwargs, "closure": closure}


def _inner(obj: Any) -> Any:
    for attr in _INNER:
        inner = getattr(obj, attr, None)
        if inner is not None and inner is not obj and (
            isinstance(inner, torch.optim.Optimizer) or any(hasattr(inner, a) for a in _INNER)
        ):
            return inner
    return None
