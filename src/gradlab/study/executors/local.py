"""The local executor: trials in a pool of worker processes on this machine.

Each worker is a fresh ``spawn``/``forkserver`` process (no forked torch state) running one torch
thread, so n workers use n cores without oversubscription. A trial that raises comes back as
``failed`` with its traceback; a worker that dies outright (segfault, out of memory) breaks the
pool, which is rebuilt: the trials it held are retried once, then recorded as failed.
``workers=1`` runs trials in this process — easy to debug, exceptions still isolated per trial.
"""

from __future__ import annotations

import importlib
import multiprocessing as mp
import os
import platform
import time
import traceback
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Callable, Iterator

from gradlab.study.executors.base import TrialOutcome, TrialTask, result_dict

DEFAULT_TRIAL_FN = "gradlab.train.experiment:run_trial"


def versions() -> dict:
    """Library versions recorded with every trial."""
    import torch

    import gradlab

    return {"gradlab": gradlab.__version__, "torch": torch.__version__,
            "python": platform.python_version()}


def _resolve(fn: str | Callable) -> Callable:
    if callable(fn):
        return fn
    module, _, attr = fn.partition(":")
    return getattr(importlib.import_module(module), attr)


def run_one(task: TrialTask, trial_fn: str | Callable = DEFAULT_TRIAL_FN) -> TrialOutcome:
    """Run one trial and turn any exception into a failed outcome with its traceback."""
    start = time.perf_counter()
    try:
        result = _resolve(trial_fn)(task.config, task.seed)
        data = result_dict(result)
        return TrialOutcome(task.trial_id, "done", result=data,
                            wall_time=time.perf_counter() - start,
                            extra={"versions": versions(), "pid": os.getpid()})
    except Exception:  # a crashed trial must not stop the study: keep its traceback
        return TrialOutcome(task.trial_id, "failed", error=traceback.format_exc(),
                            wall_time=time.perf_counter() - start,
                            extra={"versions": versions(), "pid": os.getpid()})


def _init_worker() -> None:
    import torch

    torch.set_num_threads(1)


class LocalExecutor:
    """Run trials in worker processes on this machine.

    Args:
        workers: number of processes (default: the number of cores); 1 runs in-process.
        start_method: "forkserver" (the default where available: workers fork from a server
            that has imported torch once, so a new pool starts fast) or "spawn" (never "fork":
            a forked torch with live threads is not safe).
        trial_fn: the function ``(config, seed) -> TrialResult`` (or "module:attr"); the default
            is the trainer's ``run_trial``.
    """

    name = "local"

    def __init__(self, workers: int | None = None, *, start_method: str | None = None,
                 trial_fn: str | Callable = DEFAULT_TRIAL_FN):
        if start_method is None:
            start_method = "forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn"
        if start_method not in ("spawn", "forkserver"):
            raise ValueError(f"start_method must be 'spawn' or 'forkserver', got {start_method!r}")
        self.workers = max(1, workers or os.cpu_count() or 1)
        self.start_method = start_method
        self.trial_fn = trial_fn
        self._pool: ProcessPoolExecutor | None = None

    def run(self, tasks: list[TrialTask],
            on_start: Callable[[str], None] | None = None) -> Iterator[TrialOutcome]:
        """Run ``tasks``; yield each outcome as it finishes (completion order)."""
        if self.workers == 1 or len(tasks) <= 1:
            yield from self._run_inline(tasks, on_start)
        else:
            yield from self._run_pool(tasks, on_start)

    def _run_inline(self, tasks, on_start) -> Iterator[TrialOutcome]:
        import torch

        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            for task in tasks:
                if on_start:
                    on_start(task.trial_id)
                yield run_one(task, self.trial_fn)
        finally:
            torch.set_num_threads(threads)

    def _new_pool(self, n: int) -> ProcessPoolExecutor:
        self.close()
        context = mp.get_context(self.start_method)
        if self.start_method == "forkserver":
            context.set_forkserver_preload(["torch", "gradlab.study.executors.local"])
        self._pool = ProcessPoolExecutor(max_workers=n, mp_context=context, initializer=_init_worker)
        return self._pool

    def _run_pool(self, tasks, on_start) -> Iterator[TrialOutcome]:
        n = min(self.workers, len(tasks))
        pool = self._new_pool(n)
        queue = list(reversed(tasks))
        suspects: list[TrialTask] = []  # held by a pool that died: re-run one at a time
        started: set[str] = set()
        in_flight: dict = {}
        alone = False  # the one trial in flight is a suspect running by itself
        try:
            while queue or suspects or in_flight:
                if suspects:
                    if not in_flight:
                        task = suspects.pop(0)
                        in_flight[pool.submit(run_one, task, self.trial_fn)] = task
                        alone = True
                else:
                    # keep n trials submitted, so "submitted" means "running"
                    while queue and len(in_flight) < n:
                        task = queue.pop()
                        in_flight[pool.submit(run_one, task, self.trial_fn)] = task
                        if on_start and task.trial_id not in started:
                            started.add(task.trial_id)
                            on_start(task.trial_id)
                done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                lost = []
                for future in done:
                    task = in_flight.pop(future)
                    try:
                        yield future.result()
                    except BrokenProcessPool:
                        lost.append(task)
                if lost:
                    # a worker died and took the pool with it: every trial there is lost. A
                    # trial that killed a pool while running alone is the culprit; the others
                    # are suspects, retried one at a time to find out.
                    lost += list(in_flight.values())
                    in_flight.clear()
                    pool = self._new_pool(n)
                    for task in lost:
                        if alone:
                            yield TrialOutcome(task.trial_id, "failed", error=(
                                "the worker process running this trial died (killed, out of "
                                "memory, or a crash in native code such as a segfault)"))
                        else:
                            suspects.append(task)
                alone = False if not in_flight else alone
        finally:
            self.close()

    def close(self) -> None:
        """Shut the pool down (idempotent); pending trials are cancelled."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
