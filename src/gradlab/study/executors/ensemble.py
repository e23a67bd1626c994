"""The ``ensemble`` executor: many same-shaped small models trained at once on one device.

Trials whose configurations differ only in numbers the batched model holds per member (seed,
learning rate, weight decay, an activation slope, an init scale, a bias constant) are grouped and
trained as one :class:`gradlab.study.batched.BatchedMLP`, each member initialised exactly as
``run_trial`` would and keeping its own history, vitals and findings. Trials that cannot be
batched (other model kinds, BatchNorm, dropout, clipping, a lone configuration) run one by one
through ``run_trial``, so the executor returns a correct outcome for any list of trials.
"""

from __future__ import annotations

import time
import warnings
from typing import Callable, Iterator

from gradlab.study.executors.base import TrialOutcome, TrialTask

DEFAULT_MAX_MEMBERS = 1024


class EnsembleExecutor:
    """Runs trials as batched ensembles where possible, one by one otherwise.

    Args:
        workers: ignored (one device trains the ensemble); accepted for a uniform interface.
        device: where ensembles train ("cpu", "cuda", or None for CUDA when available).
        max_members: the largest ensemble; bigger groups are split evenly.
        min_members: groups smaller than this run one by one (an ensemble of one gains nothing).
    """

    name = "ensemble"

    def __init__(
        self,
        workers: int | None = None,
        *,
        device: str | None = "cpu",
        max_members: int = DEFAULT_MAX_MEMBERS,
        min_members: int = 2,
    ):
        self.workers = workers
        self.device = device
        self.max_members = max(1, int(max_members))
        self.min_members = max(1, int(min_members))
        self.batched_trials = 0  # how many trials actually trained in an ensemble (for reports)

    def run(
        self, tasks: list[TrialTask], on_start: Callable[[str], None] | None = None
    ) -> Iterator[TrialOutcome]:
        """Yield one outcome per task: each ensemble's members when it finishes, then the rest."""
        from gradlab.study.batched.grouping import chunks

        groups, singles = self._groups(tasks)
        for group in groups:
            for chunk in chunks(group, self.max_members):
                if len(chunk) < self.min_members:
                    singles.extend(chunk)
                    continue
                yield from self._run_ensemble(chunk, on_start, singles)
        for task in singles:
            yield _run_single(task, on_start)

    def close(self) -> None:
        """Nothing to release: everything runs in this process."""

    def _groups(self, tasks: list[TrialTask]) -> tuple[list[list[TrialTask]], list[TrialTask]]:
        from gradlab.study.batched.grouping import group_key
        from gradlab.train.config import validate_config

        by_key: dict[str, list[TrialTask]] = {}
        singles: list[TrialTask] = []
        for task in tasks:
            try:
                key = group_key(validate_config(task.config))
            except Exception:  # noqa: BLE001 - a bad config fails properly in run_trial
                singles.append(task)
                continue
            by_key.setdefault(key, []).append(task)
        return list(by_key.values()), singles

    def _run_ensemble(
        self, chunk: list[TrialTask], on_start, singles: list[TrialTask]
    ) -> Iterator[TrialOutcome]:
        from gradlab.study.batched import NotBatchable
        from gradlab.study.batched.member import assemble
        from gradlab.study.batched.run import run_ensemble

        try:
            ens = assemble([(t.config, t.seed) for t in chunk], self.device)
        except NotBatchable:
            singles.extend(chunk)
            return
        except Exception:  # noqa: BLE001 - building failed: each trial reports its own error
            singles.extend(chunk)
            return
        for task in chunk:
            if on_start is not None:
                on_start(task.trial_id)
        start = time.perf_counter()
        try:
            results = run_ensemble(ens)
        except Exception as exc:  # noqa: BLE001
            # a bug in the batched path must not lose the trials: say so, run them one by one
            warnings.warn(
                f"ensemble of {len(chunk)} trials failed ({type(exc).__name__}: {exc}); "
                "running them one by one",
                RuntimeWarning,
                stacklevel=2,
            )
            singles.extend(chunk)
            return
        wall = time.perf_counter() - start
        self.batched_trials += len(chunk)
        from gradlab.study.executors.local import versions

        extra = {"executor": "ensemble", "ensemble_size": len(chunk), "ensemble_wall_time": wall,
                 "versions": versions()}
        for task, result in zip(chunk, results):
            yield TrialOutcome(task.trial_id, "done", result.to_dict(), None, result.wall_time,
                               extra=dict(extra))


def _run_single(task: TrialTask, on_start) -> TrialOutcome:
    """One trial through ``run_trial`` (as the local executor runs it, crash -> failed outcome)."""
    from gradlab.study.executors.local import run_one

    if on_start is not None:
        on_start(task.trial_id)
    outcome = run_one(task)
    outcome.extra.update(executor="ensemble", ensemble_size=1)
    return outcome
