"""The one interface every executor implements (local processes, ensemble, Ray).

The study runner owns the store; executors never write to it. The runner hands an executor the
trials to run and reads outcomes back as they finish, writing each to the store in the driver
process, so a crash loses at most the trials in flight and no trial is stored twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterator, Protocol


@dataclass
class TrialTask:
    """One configuration and one seed to train."""

    trial_id: str
    config: dict
    seed: int


@dataclass
class TrialOutcome:
    """What came back from one trial.

    Attributes:
        status: "done" or "failed".
        result: ``TrialResult.to_dict()`` when done.
        error: the formatted traceback when failed.
    """

    trial_id: str
    status: str
    result: dict | None = None
    error: str | None = None
    wall_time: float = 0.0
    extra: dict = field(default_factory=dict)


class Executor(Protocol):
    """Runs trials and yields their outcomes in completion order."""

    name: str

    def run(
        self,
        tasks: list[TrialTask],
        on_start: Callable[[str], None] | None = None,
    ) -> Iterator[TrialOutcome]:
        """Run ``tasks``; call ``on_start(trial_id)`` when one starts; yield each outcome."""
        ...

    def close(self) -> None:
        """Release workers (idempotent)."""
        ...
