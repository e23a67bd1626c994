"""Callbacks: small objects the Trainer calls at fixed points of a fit.

Every hook is a no-op by default, so a callback overrides only what it needs. A callback can end
training early by setting ``trainer.stop_training = True``; the Trainer checks the flag after each
step and each epoch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gradlab.errors import ConfigError


class Callback:
    """Base class with no-op hooks."""

    def on_fit_start(self, trainer: Any) -> None:
        """Called once before the first step."""

    def on_step_end(self, trainer: Any, step: int, loss: Any) -> None:
        """Called after each optimizer step.

        Args:
            trainer: the running Trainer.
            step: number of optimizer steps done so far (1 after the first).
            loss: the batch loss as a detached 0-dim tensor (call ``float()`` to read it; the
                Trainer itself never syncs with the device on a step).
        """

    def on_epoch_end(self, trainer: Any, epoch: int, logs: dict) -> None:
        """Called after each epoch's dev evaluation, with that epoch's history row."""

    def on_fit_end(self, trainer: Any) -> None:
        """Called once after the last epoch (also when training stopped early)."""


@dataclass(frozen=True)
class EarlyStopping:
    """Stop when the dev metric has not improved by more than ``min_delta`` for ``patience`` epochs.

    Args:
        patience: epochs without improvement to tolerate (>= 1).
        min_delta: the smallest change that counts as an improvement (>= 0).
    """

    patience: int
    min_delta: float = 0.0

    def __post_init__(self) -> None:
        if isinstance(self.patience, bool) or not isinstance(self.patience, int) or self.patience < 1:
            raise ConfigError(f"early stopping patience must be an integer >= 1, got {self.patience!r}")
        if not self.min_delta >= 0:
            raise ConfigError(f"early stopping min_delta must be >= 0, got {self.min_delta!r}")

    @classmethod
    def coerce(cls, value: Any) -> "EarlyStopping | None":
        """Accept None, a patience (int), a dict ``{"patience", "min_delta"}`` or an instance."""
        if value is None or isinstance(value, cls):
            return value
        if isinstance(value, dict):
            unknown = set(value) - {"patience", "min_delta"}
            if unknown:
                raise ConfigError(
                    f"unknown early stopping key(s) {sorted(unknown)} (valid: patience, min_delta)"
                )
            return cls(**value)
        if isinstance(value, int) and not isinstance(value, bool):
            return cls(value)
        raise ConfigError(
            f"early_stopping must be a patience (integer), a dict with patience and min_delta, "
            f"or None; got {value!r}"
        )
