"""The one process pool of the executors, and its retry policy.

Both the local and the ensemble executor run *jobs* (one trial, or one ensemble of trials) in a
pool of fresh ``forkserver``/``spawn`` worker processes, each started by the one worker
initializer :func:`init_worker` (one torch thread per worker).

Retry policy: a job that raises comes back as the job function's own failed outcomes (it never
raises here). A worker that dies outright (segfault, out of memory, killed) breaks the pool; the
pool is rebuilt and every job it held becomes a *suspect*, re-run alone, one at a time. A suspect
that kills the pool again while running alone is the culprit: its trials are recorded as failed.
"""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Generic, TypeVar

from gradlab.study.executors.base import TrialOutcome, TrialTask

J = TypeVar("J")

DIED = ("the worker process running this trial died (killed, out of memory, or a crash in native "
        "code such as a segfault)")


def default_start_method() -> str:
    """``forkserver`` where available (a new pool forks from a server that imported torch once)."""
    return "forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn"


def init_worker() -> None:
    """Set up a worker process: one torch thread, so n workers use n cores."""
    import torch

    from gradlab.study.executors.parent_watch import exit_with_parent

    # a driver killed with SIGKILL must not leave workers (nor, through them, the forkserver and
    # the resource tracker) alive: each worker exits when the driver does
    exit_with_parent()
    torch.set_num_threads(1)


class WorkerPool(Generic[J]):
    """Runs ``fn(job, *args)`` for each job in at most ``workers`` processes.

    Args:
        workers: the most processes (and jobs in flight).
        start_method: "forkserver" or "spawn" (never "fork": a forked torch is not safe).
        tasks_of: the trials a job holds (for ``on_start`` and for failed outcomes).
    """

    def __init__(self, workers: int, start_method: str | None = None,
                 tasks_of: Callable[[Any], list[TrialTask]] = lambda job: [job]):
        self.workers = max(1, int(workers))
        self.start_method = start_method or default_start_method()
        if self.start_method not in ("spawn", "forkserver"):
            raise ValueError(f"start_method must be 'spawn' or 'forkserver', got {self.start_method!r}")
        self.tasks_of = tasks_of
        self._pool: ProcessPoolExecutor | None = None

    def _new_pool(self, n: int) -> ProcessPoolExecutor:
        self.close()
        context = mp.get_context(self.start_method)
        if self.start_method == "forkserver":
            # workers fork from a server that imported these once: a pool starts in ~0.1 s.
            # torch._dynamo: the first torch.optim optimizer of a process imports it (1.1 s CPU)
            context.set_forkserver_preload(["torch", "torch._dynamo", "gradlab.train.experiment",
                                            "gradlab.study.executors.local",
                                            "gradlab.study.executors.ensemble"])
        self._pool = ProcessPoolExecutor(max_workers=n, mp_context=context, initializer=init_worker)
        return self._pool

    def run(self, jobs: list[J], fn: Callable[..., list[TrialOutcome] | TrialOutcome], *args: Any,
            on_start: Callable[[str], None] | None = None) -> Iterator[TrialOutcome]:
        """Yield the outcomes of every job as they finish (see the module docstring)."""
        n = min(self.workers, len(jobs))
        pool = self._new_pool(n)
        queue = list(reversed(jobs))
        suspects: list[J] = []  # held by a pool that died: re-run one at a time
        started: set[str] = set()
        in_flight: dict = {}
        alone = False  # the one job in flight is a suspect running by itself
        try:
            while queue or suspects or in_flight:
                if suspects:
                    if not in_flight:
                        job = suspects.pop(0)
                        in_flight[pool.submit(fn, job, *args)] = job
                        alone = True
                else:
                    # keep n jobs submitted, so "submitted" means "running"
                    while queue and len(in_flight) < n:
                        job = queue.pop()
                        in_flight[pool.submit(fn, job, *args)] = job
                        for task in self.tasks_of(job):
                            if on_start is not None and task.trial_id not in started:
                                started.add(task.trial_id)
                                on_start(task.trial_id)
                done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                lost = []
                for future in done:
                    job = in_flight.pop(future)
                    try:
                        result = future.result()
                    except BrokenProcessPool:
                        lost.append(job)
                        continue
                    yield from (result if isinstance(result, list) else [result])
                if lost:
                    # the pool is gone and with it every job in flight
                    lost += list(in_flight.values())
                    in_flight.clear()
                    pool = self._new_pool(n)
                    for job in lost:
                        if alone:
                            for task in self.tasks_of(job):
                                yield TrialOutcome(task.trial_id, "failed", error=DIED)
                        else:
                            suspects.append(job)
                alone = False if not in_flight else alone
        finally:
            self.close()

    def close(self) -> None:
        """Shut the pool down (idempotent); pending jobs are cancelled."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
