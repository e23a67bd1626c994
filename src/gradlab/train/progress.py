"""A rich progress bar on a terminal; nothing at all otherwise.

The bar goes to stderr so ``--json`` output on stdout stays clean. ``GRADLAB_NO_PROGRESS=1``
turns it off everywhere (the tests and the study workers set it).
"""

from __future__ import annotations

import os
import sys
from typing import Any


def progress_enabled(requested: bool | None) -> bool:
    """Decide whether to draw a bar: an explicit request wins, else only on an interactive stderr."""
    if os.environ.get("GRADLAB_NO_PROGRESS", "") not in ("", "0"):
        return False
    if requested is not None:
        return bool(requested)
    return sys.stderr.isatty()


class NullProgress:
    """Stands in for the bar when it is off; every call does nothing."""

    def __enter__(self) -> "NullProgress":
        return self

    def __exit__(self, *exc: Any) -> None:
        return None

    def update(self, epoch: int, logs: dict | None = None) -> None:
        """Ignore an update."""


class EpochProgress:
    """A transient rich bar counting epochs and showing the latest losses."""

    def __init__(self, total: int, description: str = "training"):
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            TextColumn("{task.fields[info]}"),
            console=Console(stderr=True),
            transient=True,
        )
        self._task = self._progress.add_task(description, total=total, info="")

    def __enter__(self) -> "EpochProgress":
        self._progress.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._progress.stop()

    def update(self, epoch: int, logs: dict | None = None) -> None:
        """Advance to ``epoch`` and show the train loss and the dev metric of ``logs``."""
        info = ""
        if logs:
            shown = [k for k in logs if k == "train_loss" or (k.startswith("dev_") and k != "dev_loss")]
            info = "  ".join(f"{k} {logs[k]:.4g}" for k in shown[:2] if isinstance(logs[k], float))
        self._progress.update(self._task, completed=epoch, info=info)


def make_progress(requested: bool | None, total: int) -> NullProgress | EpochProgress:
    """The bar to use for a fit of ``total`` epochs."""
    return EpochProgress(total) if progress_enabled(requested) else NullProgress()
