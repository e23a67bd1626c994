"""Executors: where a study's trials run — one interface (see ``base.py``), one store.

``local`` (processes on this machine) is always available; ``ensemble`` (many small models at once
on one device) and ``ray`` (a Ray cluster, the ``ray`` extra) are imported only when asked for.
"""

from __future__ import annotations

from typing import Any

from gradlab.components.suggest import did_you_mean
from gradlab.errors import ConfigError
from gradlab.study.executors.base import Executor, TrialOutcome, TrialTask

EXECUTORS = ("local", "ensemble", "ray")


def create_executor(name: str, workers: int | None = None, **kw: Any) -> Executor:
    """Build an executor by name.

    Args:
        name: "local", "ensemble" or "ray".
        workers: worker processes (local, ensemble; default: the number of cores), Ray tasks in
            flight (ray).
        **kw: executor-specific options.

    Raises:
        ConfigError: an unknown name (with the choices).
        MissingExtraError: ``ray`` without Ray installed.
    """
    if name == "local":
        from gradlab.study.executors.local import LocalExecutor

        return LocalExecutor(workers, **kw)
    if name == "ensemble":
        import os

        from gradlab.study.executors.ensemble import EnsembleExecutor

        return EnsembleExecutor(workers=workers or os.cpu_count() or 1, **kw)
    if name == "ray":
        from gradlab.study.executors.ray import RayExecutor

        return RayExecutor(workers=workers, **kw)
    hint = did_you_mean(str(name), EXECUTORS)
    raise ConfigError(f"unknown executor {name!r}{hint} (choices: {', '.join(EXECUTORS)})")


__all__ = ["EXECUTORS", "Executor", "TrialOutcome", "TrialTask", "create_executor"]
