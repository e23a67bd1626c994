"""Findings while training runs: announce each once, and stop training on request.

A :class:`LiveDiagnoser` is a watch listener (:mod:`gradlab.watch.listeners`): the watch calls
:meth:`LiveDiagnoser.on_report` after each pull of vitals, which runs
:meth:`LiveDiagnoser.update`. Every new finding is announced once per ``(code, layer)`` — again
only if its severity rises later — through ``on_finding`` when given, else as a rich panel on a
terminal or a ``logging`` record on the ``"gradlab"`` logger otherwise. With ``stop_on="error"``
(or ``"warning"``) a finding that serious raises :class:`gradlab.errors.TrainingStopped` carrying it.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterable
from typing import Any

from gradlab.diagnose.engine import diagnose
from gradlab.diagnose.finding import Finding, severity_rank
from gradlab.diagnose.rules import resolve
from gradlab.errors import ConfigError, TrainingStopped
from gradlab.watch.listeners import WatchListener

logger = logging.getLogger("gradlab")

_LEVELS = {"info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}
_COLORS = {"info": "cyan", "warning": "yellow", "error": "red"}


def announce(finding: Finding, stream: Any = None) -> None:
    """Show one finding: a rich panel when ``stream`` (stderr) is a terminal, else a log record."""
    stream = stream if stream is not None else sys.stderr
    if getattr(stream, "isatty", lambda: False)():
        from rich.console import Console
        from rich.panel import Panel

        body = str(finding).split("\n", 1)
        text = body[0].split(": ", 1)[-1] + ("\n" + body[1] if len(body) > 1 else "")
        Console(file=stream).print(Panel(text, title=f"gradlab: {finding.headline()}",
                                         border_style=_COLORS[finding.severity], expand=False))
    else:
        logger.log(_LEVELS[finding.severity], "%s", finding)


class LiveDiagnoser(WatchListener):
    """Runs the rules on the growing vitals and announces what is new.

    Args:
        rules: per-rule overrides, as for :func:`gradlab.diagnose.diagnose`.
        on_finding: called with each new :class:`Finding`; replaces the default announcement.
        stop_on: ``None`` (never stop), ``"info"``, ``"warning"`` or ``"error"``: raise
            :class:`TrainingStopped` for a new finding at least that severe.
        context: the run context for ranking recommendations (see ``diagnose``), or a callable
            returning it, called at each update (a watch passes its ``run_context``).

    Raises:
        ConfigError: an unknown severity in ``stop_on`` or a bad ``rules`` override.
    """

    def __init__(
        self,
        rules: dict | None = None,
        on_finding: Callable[[Finding], Any] | None = None,
        stop_on: str | None = None,
        context: dict | Callable[[], dict] | None = None,
    ):
        if stop_on is not None and stop_on not in _LEVELS:
            raise ConfigError(f"stop_on={stop_on!r}: expected None, 'info', 'warning' or 'error'")
        resolve(rules)  # fail at construction, not in the middle of training
        self.rules = rules
        self.on_finding = on_finding
        self.stop_on = stop_on
        self.context = context
        self._announced: dict[tuple, int] = {}
        self.findings: list[Finding] = []

    def on_report(self, watch: Any, step: int) -> None:
        """The watch listener's hook: diagnose what the watch has recorded so far."""
        self.update(watch.vitals, watch.layers, step)

    def update(self, vitals: Any, layers: Iterable[Any], step: int | None = None) -> list[Finding]:
        """Diagnose the vitals so far; announce and return the findings not announced before.

        Args:
            vitals: the watch's vitals.
            layers: the monitored layers.
            step: the current step (kept on findings that carry no step of their own).

        Raises:
            TrainingStopped: a new finding is at least as severe as ``stop_on``.
        """
        context = self.context() if callable(self.context) else self.context
        current = diagnose(vitals, layers, rules=self.rules, context=context)
        new = []
        for f in current:
            rank = severity_rank(f.severity)
            if self._announced.get(f.key, -1) >= rank:
                continue
            self._announced[f.key] = rank
            if f.step is None:
                f.step = step
            new.append(f)
        self.findings = current
        for f in new:
            if self.on_finding is not None:
                self.on_finding(f)
            else:
                announce(f)
        if self.stop_on is not None:
            for f in new:
                if severity_rank(f.severity) >= severity_rank(self.stop_on):
                    raise TrainingStopped(f)
        return new
