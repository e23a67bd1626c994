"""Listeners: code the watch calls as it measures, without the watch knowing what it is for.

A listener is a small object with no-op defaults, like a sink; the difference is what it gets.
A sink receives the new rows of each pull and writes them somewhere; a listener receives the
watch itself after each report, so it can read everything recorded so far (``watch.vitals``,
``watch.layers``, ``watch.step_index``) and act on it. Live diagnosis
(:class:`gradlab.monitor.live.LiveDiagnoser`) is one; framework callbacks are others.

The watch calls, in order: :meth:`WatchListener.on_attach` once on entering the ``with`` block,
:meth:`WatchListener.on_report` after each pull of vitals (every ``every`` steps and at exit),
and :meth:`WatchListener.on_detach` once on leaving it, also after an exception. Unlike a sink's,
a listener's exception propagates into the training loop: that is how ``stop_on`` stops training
(:class:`gradlab.TrainingStopped`). A listener that must never stop training catches its own
errors.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from gradlab.errors import ConfigError


class WatchListener:
    """Base class for watch listeners: override what you need; every method defaults to no-op."""

    def on_attach(self, watch: Any) -> None:
        """Called once when the watch attaches its hooks (entering the ``with`` block)."""

    def on_report(self, watch: Any, step: int) -> None:
        """Called after each pull of vitals; ``watch.vitals`` now holds the rows up to ``step``."""

    def on_detach(self, watch: Any, error: BaseException | None) -> None:
        """Called once when the watch detaches; ``error`` is the exception leaving the block."""


def check_listeners(listeners: Iterable[Any] | None) -> list[Any]:
    """The listeners as a list; anything without an ``on_report`` method is a ConfigError.

    Duck typing is allowed (no need to subclass :class:`WatchListener`): an object with
    ``on_report`` is a listener, and its missing ``on_attach``/``on_detach`` are skipped.
    """
    if listeners is None:
        return []
    if isinstance(listeners, WatchListener) or hasattr(listeners, "on_report"):
        listeners = [listeners]
    out = list(listeners)
    for listener in out:
        if not callable(getattr(listener, "on_report", None)):
            raise ConfigError(
                f"a watch listener needs an on_report(watch, step) method, got {listener!r}: "
                "subclass gradlab.watch.listeners.WatchListener"
            )
    return out


__all__ = ["WatchListener", "check_listeners"]
