"""Findings while training runs: announce each once, and stop training on request.

A :class:`LiveDiagnoser` is a watch listener (:mod:`gradlab.watch.listeners`): the watch calls
:meth:`LiveDiagnoser.on_report` after each pull of vitals, which runs
:meth:`LiveDiagnoser.update`. Every new finding is announced once per ``(code, layer)`` — again
only if its severity rises later — through ``on_finding`` when given, else as a rich panel on a
terminal or a ``logging`` record on the ``"gradlab"`` logger otherwise (one per group of new
findings with the same code, severity and fix: :func:`gradlab.diagnose.finding_groups.group_findings`).
With ``stop_on="error"`` (or ``"warning"``) a finding that serious raises
:class:`gradlab.errors.TrainingStopped` carrying it.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterable
from typing import Any

from gradlab.diagnose.engine import diagnose
from gradlab.diagnose.finding import Finding, severity_rank
from gradlab.diagnose.finding_groups import FindingGroup, group_findings
from gradlab.diagnose.rules import resolve
from gradlab.errors import ConfigError, TrainingStopped
from gradlab.watch.listeners import WatchListener

logger = logging.getLogger("gradlab")

_LEVELS = {"info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}

# Diagnosing reads every recorded series, so its cost grows with the run (up to the vitals' cap of
# points per series): on the seed MLP it reached 18 ms per report by step 3000, more than the ten
# training steps between reports. Reports are therefore diagnosed at 1, 2, ... 8 and then spaced by
# a quarter of the reports so far, at most MAX_GAP apart: the amortised cost stays that of a few
# diagnoses per MAX_GAP reports, findings that grow slowly (dead units, vanishing gradients) are
# announced within a quarter of the run so far, and the schedule depends on the step count only
# (the same run announces at the same steps). A report that recorded a non-finite value, what
# stop_on="error" is mostly for, is diagnosed at once, and the end of the run always is.
MAX_GAP = 16
_COLORS = {"info": "cyan", "warning": "yellow", "error": "red"}


def announce(finding: Finding | FindingGroup, stream: Any = None) -> None:
    """Show one finding, or one group of findings of a code, severity and fix: a rich panel when
    ``stream`` (stderr) is a terminal, else a log record."""
    stream = stream if stream is not None else sys.stderr
    if getattr(stream, "isatty", lambda: False)():
        from rich.console import Console
        from rich.panel import Panel

        # the headline is the panel's title: the text is what follows it (": " or "; ")
        first, *rest = str(finding).split("\n")
        text = "\n".join([first[len(finding.headline()) + 2:], *rest])
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
        self._reports = 0
        self._next = 1  # the report count at which to diagnose next
        self._pending: int | None = None  # the step of a report not diagnosed yet

    def on_report(self, watch: Any, step: int) -> None:
        """The watch listener's hook: diagnose what the watch has recorded so far (on the
        schedule described at ``MAX_GAP``)."""
        self._reports += 1
        if self._reports < self._next and not _nonfinite_now(watch.vitals):
            self._pending = step
            return
        self._next = self._reports + min(max(1, self._reports // 4), MAX_GAP)
        self._pending = None
        self.update(watch.vitals, watch.layers, step)

    def on_detach(self, watch: Any, error: BaseException | None) -> None:
        """The end of the run: diagnose the reports the schedule skipped."""
        if error is None and self._pending is not None:
            step, self._pending = self._pending, None
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
        if self.on_finding is not None:
            for f in new:
                self.on_finding(f)
        else:  # a person reads these: one announcement per code, severity and fix, not per layer
            for group in group_findings(new):
                announce(group)
        if self.stop_on is not None:
            for f in new:
                if severity_rank(f.severity) >= severity_rank(self.stop_on):
                    raise TrainingStopped(f)
        return new


def _nonfinite_now(vitals: Any) -> bool:
    """Whether the newest value of any non-finite count, flag or loss count is not 0 (once NaN
    has appeared, every report is diagnosed: the run is broken and stop_on should act)."""
    for layer in vitals.layers():
        for stat in vitals.stats(layer):
            if "nonfinite" in stat:
                v = vitals.last(layer, stat)
                if v is not None and (v != v or v > 0):
                    return True
    return False
