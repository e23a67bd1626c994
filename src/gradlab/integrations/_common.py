"""What the framework callbacks share: run context, findings, stop decisions, loss extraction."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import torch

from gradlab.diagnose.finding_groups import group_findings
from gradlab.errors import ConfigError
from gradlab.watch.listeners import WatchListener

_SEVERITIES = ("info", "warning", "error")


def check_stop_on(stop_on: str | None) -> None:
    """Fail at construction on an unknown severity (not in the middle of training)."""
    if stop_on is not None and stop_on not in _SEVERITIES:
        raise ConfigError(f"stop_on={stop_on!r}: expected None, 'info', 'warning' or 'error'")


def loss_tensor(outputs: Any) -> torch.Tensor | None:
    """The loss in a step's outputs: a tensor, ``{"loss": ...}`` or an object with ``.loss``."""
    loss: Any
    if isinstance(outputs, torch.Tensor):
        loss = outputs
    elif isinstance(outputs, Mapping):
        loss = outputs.get("loss")
    else:
        loss = getattr(outputs, "loss", None)
    if isinstance(loss, torch.Tensor) and loss.numel() == 1:
        return loss.detach().reshape(())
    return None


class GroupedWarnings(WatchListener):
    """Live findings as warnings, one per group of a report's new findings, not one per layer.

    The callbacks :meth:`add` each new finding as the watch's live diagnosis hands it over; as a
    watch listener placed after that diagnosis, this one warns at the end of the same report
    (and of the run) with one warning per code, severity and fix
    (:func:`gradlab.diagnose.finding_groups.group_findings`).
    """

    def __init__(self) -> None:
        self.pending: list[Any] = []

    def add(self, finding: Any) -> None:
        """Keep ``finding`` for this report's warnings."""
        self.pending.append(finding)

    def on_report(self, watch: Any, step: int) -> None:
        """Warn about the findings of this report."""
        self.flush()

    def on_detach(self, watch: Any, error: BaseException | None) -> None:
        """Warn about the findings of the run's last diagnosis."""
        self.flush()

    def flush(self) -> None:
        """One warning per group of the findings kept since the last flush."""
        pending, self.pending = self.pending, []
        for group in group_findings(pending):
            warnings.warn(f"gradlab: {group}", stacklevel=2)


class RunFindings:
    """Mixin: tells the watch about the run (schedulers, settings) and reads findings worded for it.

    Args:
        rules: per-rule overrides for the diagnosis.
    """

    def __init__(self, rules: dict | None = None):
        self._rules = rules
        self.live: list[Any] = []
        self.stopped_by: Any = None
        self._warnings = GroupedWarnings()

    def warn_grouped(self, watch: Any) -> None:
        """Have ``watch`` warn about live findings one group at a time: the grouping listener
        goes after the watch's live diagnosis, so it flushes what that diagnosis just found."""
        watch.listeners.append(self._warnings)

    def record_live(self, finding: Any) -> None:
        """Keep a live finding (:attr:`live`) and warn about it with its group at the report's end."""
        self.live.append(finding)
        self._warnings.add(finding)

    def remember_run(self, schedulers: Any = (), **settings: Any) -> None:
        """Hand the watch what only the framework knows (:meth:`gradlab.Watch.describe_run`), so
        that its findings, live ones included, are worded for this run."""
        watch = getattr(self, "watch", None)
        if watch is not None:
            watch.describe_run(list(schedulers or []), n_outputs=True, **settings)

    def context(self) -> dict:
        """The run context: optimizer, learning rate, schedule, clipping, model structure."""
        watch = getattr(self, "watch", None)
        return watch.run_context() if watch is not None else {}

    def findings(self) -> list:
        """The findings over everything the watch recorded, worded for this run."""
        watch = getattr(self, "watch", None)
        if watch is None:
            return []
        return watch.findings(rules=self._rules)

    @staticmethod
    def should_stop(finding: Any, stop_on: str | None) -> bool:
        """Whether ``finding`` is at least as severe as ``stop_on``."""
        return stop_on is not None and _SEVERITIES.index(finding.severity) >= _SEVERITIES.index(stop_on)
