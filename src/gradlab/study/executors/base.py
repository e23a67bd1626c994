"""The one interface every executor implements (local processes, ensemble, Ray).

The study runner owns the store; executors never write to it. The runner hands an executor the
trials to run and reads outcomes back as they finish, writing each to the store in the driver
process, so a crash loses at most the trials in flight and no trial is stored twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Protocol


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


def result_dict(result, pack: bool = False) -> dict:
    """``TrialResult`` fields as a dict, without ``dataclasses.asdict``'s deep copy.

    A long watched trial holds ~100 vital rows per epoch; ``asdict`` copies each of them
    recursively, which cost more than the training itself (47 of 58 s for ten 1000-epoch
    trials). The rows are plain dicts of numbers and strings, so a shallow view is enough: the
    executor only passes them on to the store (or pickles them across a process boundary).
    The vitals are thinned here (:mod:`gradlab.study.vital_thinning`), before they cross a process
    boundary: the store would thin them anyway. With ``pack`` (the executors' workers) they are
    also packed there (:class:`~gradlab.study.series_codec.PackedVitals`), for the store to write
    as they are.
    """
    from gradlab.study.series_codec import PackedVitals
    from gradlab.study.vital_thinning import thin_vitals

    # ``TrialResult.to_dict`` (shallow) is the one way a result becomes a dict; a custom
    # ``trial_fn`` may return another dataclass or a mapping
    if hasattr(result, "to_dict"):
        data = result.to_dict()
    elif is_dataclass(result) and not isinstance(result, type):
        data = {f.name: getattr(result, f.name) for f in fields(result)}
    else:
        data = dict(result)
    if isinstance(data.get("vitals"), list):
        data["vitals"] = thin_vitals(data["vitals"])
        if pack:
            data["vitals"] = PackedVitals.from_rows(data["vitals"])
    return data
