"""The watches that are active now, and :func:`log`, which writes into all of them.

``Watch.__enter__`` adds a watch here and ``__exit__`` removes it, so a training loop can log its
loss with ``gradlab.log(loss=loss)`` without a handle on the watch: under ``gradlab.repair`` (or
any ``with gradlab.watch(...)``) the value lands in the active watch; outside one the call does
nothing, so the line can stay in the user's loop for good.
"""

from __future__ import annotations

import threading
from typing import Any

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


def log(**values: Any) -> None:
    """Log values of the step just taken into every active watch; a no-op when none is active.

    Example:
        >>> for x, y in loader:                               # doctest: +SKIP
        ...     opt.zero_grad(); loss = loss_fn(model(x), y); loss.backward(); opt.step()
        ...     gradlab.log(loss=loss)

    Args:
        values: ``loss=`` (a tensor stays on its device until the watch pulls its vitals, or a
            float). Other names are not recorded yet and are rejected so a typo is not lost.

    Raises:
        ConfigError: a value other than ``loss``.
    """
    unknown = sorted(set(values) - {"loss"})
    if unknown:
        raise ConfigError(f"gradlab.log: cannot log {', '.join(unknown)}; only loss=... is recorded")
    for w in active():
        w.log(**values)
