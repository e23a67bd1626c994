"""What the framework callbacks share: run context, findings, stop decisions, loss extraction."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from gradlab.errors import ConfigError

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


class RunFindings:
    """Mixin: remembers the run (optimizer, model, schedulers, settings) for context-aware findings.

    Args:
        rules: per-rule overrides for the diagnosis.
    """

    def __init__(self, rules: dict | None = None):
        self._rules = rules
        self._run: dict[str, Any] = {}
        self.live: list[Any] = []
        self.stopped_by: Any = None

    def remember_run(self, optimizer: Any, model: Any, schedulers: Any = (), **settings: Any) -> None:
        """Keep what :func:`gradlab.diagnose.context.run_context` reads at diagnosis time."""
        self._run = {"optimizer": optimizer, "model": model, "schedulers": list(schedulers or []),
                     "settings": settings}

    def context(self) -> dict:
        """The run context: optimizer, learning rate, schedule, clipping, model structure."""
        from gradlab.diagnose.context import run_context

        watch = getattr(self, "watch", None)
        return run_context(self._run.get("optimizer"), self._run.get("model"), self._run.get("schedulers"),
                           layers=watch.layers if watch is not None else None, **self._run.get("settings", {}))

    def findings(self) -> list:
        """The findings over everything the watch recorded, worded for this run."""
        watch = getattr(self, "watch", None)
        if watch is None:
            return []
        return watch.findings(rules=self._rules, context=self.context())

    @staticmethod
    def should_stop(finding: Any, stop_on: str | None) -> bool:
        """Whether ``finding`` is at least as severe as ``stop_on``."""
        return stop_on is not None and _SEVERITIES.index(finding.severity) >= _SEVERITIES.index(stop_on)
