"""gradlab — a lab for the training dynamics of PyTorch networks.

    import gradlab
    with gradlab.watch(model, optimizer=opt) as w:
        ...                                   # train as usual
    for f in w.findings():
        print(f.code, f.layer, f.message)

The public API is re-exported here and imported lazily, so ``import gradlab`` stays cheap and an
optional part that fails to import does not break the rest.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

from gradlab.errors import (
    ConfigError,
    GradlabError,
    MissingExtraError,
    SpecError,
    StatisticError,
    StoreError,
    TrainingStopped,
    UnknownComponentError,
)

__version__ = "0.1.0"

# public name -> (module, attribute)
_LAZY = {
    "watch": ("gradlab.monitor.watch", "watch"),
    "Watch": ("gradlab.monitor.watch", "Watch"),
    "checkup": ("gradlab.monitor.checkup", "checkup"),
    "log": ("gradlab.watch.active", "log"),
    "repair": ("gradlab.repair", "repair"),
    "RepairResult": ("gradlab.repair", "RepairResult"),
    "Finding": ("gradlab.diagnose.finding", "Finding"),
    "group_findings": ("gradlab.diagnose.finding_groups", "group_findings"),
    "Trainer": ("gradlab.train.trainer", "Trainer"),
    "run_trial": ("gradlab.train.experiment", "run_trial"),
    "Study": ("gradlab.study.spec", "Study"),
    "load_study": ("gradlab.study.spec", "load_study"),
    "run_study": ("gradlab.study.runner", "run_study"),
    "create_activation": ("gradlab.components.activations", "create_activation"),
    "activation_info": ("gradlab.components.activations", "activation_info"),
    "register_activation": ("gradlab.components.activation_registration", "register_activation"),
    "apply_init": ("gradlab.components.init", "apply_init"),
    "create_optimizer": ("gradlab.components.optim", "create_optimizer"),
    "create_schedule": ("gradlab.components.schedules", "create_schedule"),
    "create_model": ("gradlab.models", "create_model"),
    "create_task": ("gradlab.data", "create_task"),
    "mc_predict": ("gradlab.train.uncertainty", "mc_predict"),
}

__all__ = [
    "__version__",
    "ConfigError",
    "GradlabError",
    "MissingExtraError",
    "SpecError",
    "StatisticError",
    "StoreError",
    "TrainingStopped",
    "UnknownComponentError",
    *_LAZY,
]


def _public(name: str) -> Any:
    module, attr = _LAZY[name]
    return getattr(importlib.import_module(module), attr)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = _public(name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'gradlab' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


class _CallableWatchPackage(types.ModuleType):
    """The package :mod:`gradlab.watch`, callable as the public :func:`gradlab.watch`.

    ``gradlab.watch`` names both a subpackage and the public function. Python's import system
    binds the name to the subpackage whenever it is first imported (by the user or by gradlab
    itself), so which one ``gradlab.watch`` is depends on import order. Calling the package
    therefore calls the public function (watch plus diagnosis, :mod:`gradlab.monitor.watch`).
    The pun is resolved here, in the facade above every package, so that the watch package itself
    imports nothing from the layers above it.
    """

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return _public("watch")(*args, **kwargs)


class _Facade(types.ModuleType):
    """The ``gradlab`` module: makes the ``watch`` subpackage callable when it is bound here."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "watch" and isinstance(value, types.ModuleType):
            value.__class__ = _CallableWatchPackage
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Facade
