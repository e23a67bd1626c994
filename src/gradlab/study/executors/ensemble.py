"""The ``ensemble`` executor: many same-shaped small models trained at once on one device.

Trials whose configurations differ only in numbers the batched model holds per member (seed,
learning rate, weight decay, an activation slope, an init scale, a bias constant) are grouped and
trained as one MLP with a member axis (:mod:`gradlab.models.members`), each member initialised as
``run_trial`` would and keeping its own history, vitals and findings. Trials that cannot be
batched (other model kinds, dropout, learnable activations but PReLU, a lone configuration) run one by one
through ``run_trial``, so the executor returns a correct outcome for any list of trials.

With ``workers`` > 1 the ensembles (and the lone trials) are spread over that many worker
processes of one torch thread each, in the one pool the local executor uses (same worker
initializer, same retry policy: :mod:`gradlab.study.executors.pool`).
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Iterator

from gradlab.study.executors.base import TrialOutcome, TrialTask, result_dict
from gradlab.study.executors.pool import WorkerPool

DEFAULT_MAX_MEMBERS = 1024


class EnsembleExecutor:
    """Runs trials as batched ensembles where possible, one by one otherwise.

    Args:
        workers: worker processes; None or 1 trains everything in this process.
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
        self.workers = max(1, int(workers or 1))
        self.device = device
        self.max_members = max(1, int(max_members))
        self.min_members = max(1, int(min_members))
        self.batched_trials = 0  # how many trials actually trained in an ensemble (for reports)
        self._pool: WorkerPool | None = None

    def run(
        self, tasks: list[TrialTask], on_start: Callable[[str], None] | None = None
    ) -> Iterator[TrialOutcome]:
        """Yield one outcome per task, each ensemble's members together when it finishes."""
        jobs = self._jobs(tasks)
        if self.workers == 1 or len(jobs) <= 1:
            import torch

            # one thread, as in a worker: on a busy machine a multi-threaded batched matmul
            # waits on its own threads (a 10x slow-down at load 15 on 2 cores)
            threads = torch.get_num_threads()
            torch.set_num_threads(1)
            try:
                for job in jobs:
                    if on_start is not None:
                        for task in job:
                            on_start(task.trial_id)
                    yield from self._count(run_job(job, self.device, self.min_members))
            finally:
                torch.set_num_threads(threads)
        else:
            yield from self._run_pool(jobs, on_start)

    def _count(self, outcomes: list[TrialOutcome]) -> list[TrialOutcome]:
        self.batched_trials += sum(o.extra.get("ensemble_size", 1) > 1 for o in outcomes)
        return outcomes

    def _jobs(self, tasks: list[TrialTask]) -> list[list[TrialTask]]:
        """Ensembles (largest first, so a pool stays busy to the end), then lone trials."""
        from gradlab.study.batched.grouping import chunks

        groups, singles = self._groups(tasks)
        jobs: list[list[TrialTask]] = []
        for group in groups:
            # at least one ensemble per worker: a study of one big group still uses every core
            size = max(self.min_members, min(self.max_members, -(-len(group) // self.workers)))
            for chunk in chunks(group, size):
                if len(chunk) < self.min_members:
                    singles.extend(chunk)
                else:
                    jobs.append(chunk)
        jobs.sort(key=len, reverse=True)
        return jobs + [[task] for task in singles]

    def _run_pool(self, jobs, on_start) -> Iterator[TrialOutcome]:
        self._pool = WorkerPool(self.workers, tasks_of=_tasks_of)
        for outcome in self._pool.run(jobs, run_job, self.device, self.min_members, on_start=on_start):
            yield from self._count([outcome])

    def close(self) -> None:
        """Shut the worker pool down (idempotent)."""
        if self._pool is not None:
            self._pool.close()
            self._pool = None

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


def _tasks_of(job: list[TrialTask]) -> list[TrialTask]:
    return job


def run_job(job: list[TrialTask], device, min_members: int = 2) -> list[TrialOutcome]:
    """One job: an ensemble of ``job`` (or each trial alone when it cannot batch).

    A module-level function so worker processes can run it.
    """
    if len(job) >= min_members:
        outcomes = _run_ensemble(job, device)
        if outcomes is not None:
            return outcomes
    return [_run_single(task) for task in job]


def _run_ensemble(chunk: list[TrialTask], device) -> list[TrialOutcome] | None:
    """The chunk trained as one ensemble, or None when it cannot be (run it one by one)."""
    from gradlab.study.batched.member import assemble
    from gradlab.study.batched.run import run_ensemble

    try:
        ens = assemble([(t.config, t.seed) for t in chunk], device)
    except Exception:  # noqa: BLE001 - NotBatchable or a build error: each trial reports its own
        return None
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
        return None
    wall = time.perf_counter() - start
    from gradlab.study.executors.local import versions

    extra = {"executor": "ensemble", "ensemble_size": len(chunk), "ensemble_wall_time": wall,
             "versions": versions()}
    return [TrialOutcome(task.trial_id, "done", result_dict(result, pack=True), None, result.wall_time,
                         extra=dict(extra))
            for task, result in zip(chunk, results)]


def _run_single(task: TrialTask) -> TrialOutcome:
    """One trial through ``run_trial`` (as the local executor runs it, crash -> failed outcome)."""
    from gradlab.study.executors.local import run_one

    outcome = run_one(task)
    outcome.extra.update(executor="ensemble", ensemble_size=1)
    return outcome
