"""The ``ray`` executor: the same trials as Ray tasks, on a laptop or a cluster.

Each trial is one ``@ray.remote`` task calling ``run_trial`` with one torch thread. Outcomes come
back to the driver as they finish (``ray.wait``), where the study runner writes them to the store,
so the workers never touch the database. Ray is an optional dependency (``pip install
'gradlab[ray]'``) and is imported only when this executor is created.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Iterator
from typing import Any

from gradlab.errors import missing_extra
from gradlab.study.executors.base import TrialOutcome, TrialTask


def _import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise missing_extra("ray", "ray", "the Ray executor") from None
    return ray


def _remote_trial(task: TrialTask, trial_fn: str | Callable) -> TrialOutcome:
    """Runs on a Ray worker: one trial, never raising (a failure comes back as an outcome)."""
    import torch

    from gradlab.study.executors.local import run_one

    torch.set_num_threads(1)
    outcome = run_one(task, trial_fn)
    outcome.extra["executor"] = "ray"
    return outcome


class RayExecutor:
    """Runs each trial as a Ray task and yields outcomes in completion order.

    Args:
        address: a Ray cluster address (``"auto"``, ``"ray://host:10001"``); None starts a local
            instance (or joins the one this process already started).
        workers: CPUs for a local instance (default: all); also the most trials in flight.
        trial_fn: ``(config, seed) -> TrialResult`` or ``"module:attr"`` (default ``run_trial``);
            it must be importable on the workers.
        **init_kwargs: passed on to ``ray.init`` (e.g. ``runtime_env``).

    Raises:
        MissingExtraError: Ray is not installed.
    """

    name = "ray"

    def __init__(
        self,
        address: str | None = None,
        workers: int | None = None,
        *,
        trial_fn: str | Callable = "gradlab.train.experiment:run_trial",
        **init_kwargs: Any,
    ):
        self._ray = _import_ray()
        self.workers = workers
        self.trial_fn = trial_fn
        self._started = False
        if not self._ray.is_initialized():
            kwargs = {"include_dashboard": False, "log_to_driver": False, **init_kwargs}
            if address is None and workers is not None:
                kwargs["num_cpus"] = int(workers)
            self._ray.init(address=address, **kwargs)
            self._started = True
        self._task = self._ray.remote(num_cpus=1, max_retries=0)(_remote_trial)

    def run(
        self, tasks: list[TrialTask], on_start: Callable[[str], None] | None = None
    ) -> Iterator[TrialOutcome]:
        """Submit the trials (at most ``workers`` in flight when set) and yield each outcome."""
        ray = self._ray
        queue = list(tasks)
        limit = self.workers or len(queue) or 1
        pending: dict[Any, TrialTask] = {}
        try:
            while queue or pending:
                while queue and len(pending) < limit:
                    task = queue.pop(0)
                    pending[self._task.remote(task, self.trial_fn)] = task
                    if on_start is not None:
                        on_start(task.trial_id)
                done, _ = ray.wait(list(pending), num_returns=1)
                for ref in done:
                    task = pending.pop(ref)
                    yield self._outcome(task, ref)
        finally:
            # the driver stopped listening (Ctrl-C, an error): trials still in flight are dropped,
            # and the store re-runs them next time
            for ref in pending:
                ray.cancel(ref, force=True)

    def _outcome(self, task: TrialTask, ref: Any) -> TrialOutcome:
        try:
            return self._ray.get(ref)
        except Exception:  # noqa: BLE001 - a worker that died: the trial failed, the study goes on
            return TrialOutcome(task.trial_id, "failed", None, traceback.format_exc(), 0.0,
                                extra={"executor": "ray"})

    def close(self) -> None:
        """Shut down the Ray instance this executor started (idempotent); a joined one stays."""
        if self._started and self._ray.is_initialized():
            self._ray.shutdown()
        self._started = False
