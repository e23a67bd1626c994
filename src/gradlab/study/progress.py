"""The study progress bar: trials done, running, failed, and time left (rich).

Silent when ``enabled`` is False, when ``GRADLAB_NO_PROGRESS`` is set, or when stderr is not a
terminal and ``force`` is not given (so logs and CI output stay clean).
"""

from __future__ import annotations

import os
import sys


class StudyProgress:
    """Tracks and shows a study's trials.

    Args:
        total: trials to run in this invocation.
        enabled: show a bar at all.
        title: text before the bar (the study name).
    """

    def __init__(self, total: int, *, enabled: bool = True, title: str = "study"):
        self.total, self.done, self.failed, self.running = total, 0, 0, 0
        self._bar = None
        quiet = os.environ.get("GRADLAB_NO_PROGRESS") or not sys.stderr.isatty()
        if enabled and not quiet and total > 0:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self._bar = Progress(
                TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                TextColumn("{task.fields[counts]}"), TimeElapsedColumn(), TextColumn("elapsed ·"),
                TimeRemainingColumn(), TextColumn("left"),
                console=Console(stderr=True), transient=False,
            )
            self._task = self._bar.add_task(title, total=total, counts=self.counts_text())
            self._bar.start()

    def counts_text(self) -> str:
        """"3 done · 2 running · 1 failed"."""
        return f"{self.done} done · {self.running} running · {self.failed} failed"

    def _refresh(self, advance: int = 0) -> None:
        if self._bar is not None:
            self._bar.update(self._task, advance=advance, counts=self.counts_text())

    def started(self) -> None:
        """One more trial is running."""
        self.running += 1
        self._refresh()

    def finished(self, status: str) -> None:
        """A running trial finished with ``status`` ("done" or "failed")."""
        self.running = max(0, self.running - 1)
        if status == "done":
            self.done += 1
        else:
            self.failed += 1
        self._refresh(advance=1)

    def close(self) -> None:
        """Stop drawing (idempotent)."""
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
