"""The best-dev checkpoint: kept in memory, or written safely to a directory.

A checkpoint written to disk goes to a temporary file in the same directory first and is then
moved over the old one with :func:`os.replace`, which is atomic on POSIX and Windows: a crash in
the middle of a save leaves the previous best checkpoint intact, never a half-written file.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch
import torch.nn as nn

from gradlab.atomic_write import atomic_open
from gradlab.errors import ConfigError

FILENAME = "best.pt"


class BestCheckpoint:
    """Holds the weights of the best epoch so far.

    Args:
        directory: where to write ``best.pt``; ``None`` keeps a copy of the weights in memory.
    """

    def __init__(self, directory: str | os.PathLike | None = None):
        self.directory = Path(directory) if directory is not None else None
        self.epoch: int | None = None
        self.score: float | None = None
        self._state: dict[str, torch.Tensor] | None = None
        if self.directory is not None:
            try:
                self.directory.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise ConfigError(
                    f"cannot create checkpoint directory {str(self.directory)!r}: {exc.strerror}"
                ) from None

    @property
    def path(self) -> Path | None:
        """The file the checkpoint is written to, or None when kept in memory."""
        return self.directory / FILENAME if self.directory is not None else None

    @property
    def saved(self) -> bool:
        return self.epoch is not None

    def save(self, model: nn.Module, epoch: int, score: float) -> None:
        """Record ``model``'s current weights as the best, from ``epoch`` with ``score``."""
        state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        path = self.path
        if path is None:
            self._state = state
        else:
            payload = {"epoch": epoch, "score": score, "state_dict": state}
            # rewritten at every improvement: atomic, but no fsync each time
            with atomic_open(path, "wb", fsync=False) as handle:
                torch.save(payload, handle)
        self.epoch, self.score = epoch, score

    def restore(self, model: nn.Module) -> bool:
        """Load the best weights into ``model``; returns False when nothing was saved."""
        if not self.saved:
            return False
        path = self.path
        if path is None:
            state = self._state
        else:
            state = torch.load(path, map_location="cpu", weights_only=True)["state_dict"]
        assert state is not None  # saved: kept in memory or written to path
        model.load_state_dict(state)
        return True
