"""The repair's progress on a terminal: trials done out of the budget's worth (rich, stderr only)."""

from __future__ import annotations

from typing import Any

from gradlab.train.progress import EpochProgress, progress_enabled


class _Bar:
    def __init__(self, bar: EpochProgress | None):
        self.bar, self.done = bar, 0

    def __enter__(self) -> "_Bar":
        if self.bar is not None:
            self.bar.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc)

    def tick(self) -> None:
        """One more trial finished."""
        self.done += 1
        if self.bar is not None:
            self.bar.update(self.done)


def repair_progress(requested: bool | None, total: int) -> _Bar:
    """A bar of ``total`` trials when progress is wanted (default: only on a terminal)."""
    return _Bar(EpochProgress(total, "repairing") if progress_enabled(requested) else None)
