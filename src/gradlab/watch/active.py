"""The watches that are active now, and :func:`log`, which writes into all of them.

``Watch.__enter__`` adds a watch here and ``__exit__`` removes it, so a training loop can log its
loss with ``gradlab.log(loss=loss)`` without a handle on the watch: under ``gradlab.repair`` (or
any ``with gradlab.watch(...)``) the value lands in the active watch; outside one the call does
nothing, so the line can stay in the user's loop for good. :func:`check_values` is the one
check of what may be logged, for ``Watch.log`` and :func:`log` alike.
"""

from __future__ import annotations

import numbers
import threading
from typing import Any

import torch

from gradlab.errors import ConfigError

_lock = threading.Lock()
_active: list[Any] = []


def push(w: Any) -> None:
    """Register ``w`` as active (called by ``Watch.__enter__``)."""
    with _lock:
        _active.append(w)


def pop(w: Any) -> None:
    """Unregister ``w`` (called by ``Watch.__exit__``); a watch not registered is ignored."""
    with _lock:
        for i in range(len(_active) - 1, -1, -1):
            if _active[i] is w:
                del _active[i]
                return


def active() -> list[Any]:
    """The active watches, oldest first."""
    with _lock:
        return list(_active)


# model-wide vitals the watch records itself: a logged value must not overwrite them
RESERVED = ("loss_nonfinite", "nonfinite_in", "nonfinite_out", "grad_not_reset",
            "trained_in_eval")


def check_values(values: dict[str, Any]) -> None:
    """Raise the one-line error for a value ``Watch.log`` / :func:`log` cannot record.

    A value is a real number or a one-element tensor (None: not logged this step). Checked
    without a host sync: only types and shapes are read.

    Raises:
        ConfigError: a reserved name, or a value that is neither.
    """
    for name, value in values.items():
        if name in RESERVED:
            raise ConfigError(f"cannot log {name}: the watch records it itself; log the value under another name")
        if value is None:
            continue
        if isinstance(value, torch.Tensor):
            if value.numel() == 1 and not value.is_complex():
                continue
            got = f"a {'complex ' if value.is_complex() else ''}tensor of shape {tuple(value.shape)}"
        elif not isinstance(value, (bool, str)) and (isinstance(value, numbers.Real) or (
                hasattr(value, "__float__") and getattr(value, "size", 1) == 1)):  # numpy scalars, 1-element arrays
            continue
        else:
            got = f"{type(value).__name__} {str(value)[:40]!r}"
        raise ConfigError(f"cannot log {name}={got}: a value must be a real number or a one-element tensor "
                          f"(reduce it first, e.g. {name}={name}.mean())")


def log(**values: Any) -> None:
    """Log values of the step just taken into every active watch; a no-op when none is active.

    Takes what :meth:`gradlab.watch.watch.Watch.log` takes: ``loss=`` and any other model-wide
    scalar under its own name (``gradlab.log(loss=loss, acc=acc, grad_scale=scaler.get_scale())``),
    each recorded as a vital of layer ``""``; only ``loss`` feeds the loss-based findings.

    Example:
        >>> for x, y in loader:                               # doctest: +SKIP
        ...     opt.zero_grad(); loss = loss_fn(model(x), y); loss.backward(); opt.step()
        ...     gradlab.log(loss=loss)

    Args:
        values: name -> a real number or a one-element tensor (a tensor stays on its device until
            the watch pulls its vitals: no host sync); None logs nothing.

    Raises:
        ConfigError: a value that is neither, or a name the watch records itself; checked also
            when no watch is active, so a bad value is found the first time the loop runs.
    """
    check_values(values)
    for w in active():
        w.log(**values)
