"""The local executor: trials in a pool of worker processes on this machine.

Each worker is a fresh ``spawn``/``forkserver`` process (no forked torch state) running one torch
thread, so n workers use n cores without oversubscription. A trial that raises comes back as
``failed`` with its traceback; a worker that dies outright (segfault, out of memory) breaks the
pool, which is rebuilt: the trials it held are retried one at a time, then recorded as failed
(the one pool and retry policy of every executor: :mod:`gradlab.study.executors.pool`).
``workers=1`` runs trials in this process — easy to debug, exceptions still isolated per trial.
"""

from __future__ import annotations

import importlib
import os
import platform
import time
import traceback
from collections.abc import Callable, Iterator

from gradlab.study.executors.base import TrialOutcome, TrialTask, result_dict
from gradlab.study.executors.pool import WorkerPool, default_start_method

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
        data = result_dict(result, pack=True)
        return TrialOutcome(task.trial_id, "done", result=data,
                            wall_time=time.perf_counter() - start,
                            extra={"versions": versions(), "pid": os.getpid()})
    except Exception:  # noqa: BLE001 - a crashed trial must not stop the study: keep its traceback
        return TrialOutcome(task.trial_id, "failed", error=traceback.format_exc(),
                            wall_time=time.perf_counter() - start,
                            extra={"versions": versions(), "pid": os.getpid()})


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
            start_method = default_start_method()
        if start_method not in ("spawn", "forkserver"):
            raise ValueError(f"start_method must be 'spawn' or 'forkserver', got {start_method!r}")
        self.workers = max(1, workers or os.cpu_count() or 1)
        self.start_method = start_method
        self.trial_fn = trial_fn
        self._pool: WorkerPool | None = None

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

    def _run_pool(self, tasks, on_start) -> Iterator[TrialOutcome]:
        self._pool = WorkerPool(self.workers, self.start_method)
        yield from self._pool.run(tasks, run_one, self.trial_fn, on_start=on_start)

    def close(self) -> None:
        """Shut the pool down (idempotent); pending trials are cancelled."""
        if self._pool is not None:
            self._pool.close()
            self._pool = None
