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
    "watch": ("gradlab.watch.watch", "watch"),
    "Watch": ("gradlab.watch.watch", "Watch"),
    "checkup": ("gradlab.diagnose.checkup", "checkup"),
    "Finding": ("gradlab.diagnose.finding", "Finding"),
    "Trainer": ("gradlab.train.trainer", "Trainer"),
    "run_trial": ("gradlab.train.experiment", "run_trial"),
    "Study": ("gradlab.study.spec", "Study"),
    "load_study": ("gradlab.study.spec", "load_study"),
    "run_study": ("gradlab.study.runner", "run_study"),
    "create_activation": ("gradlab.components.activations", "create_activation"),
    "activation_info": ("gradlab.components.activations", "activation_info"),
    "apply_init": ("gradlab.components.init", "apply_init"),
    "create_optimizer": ("gradlab.components.optim", "create_optimizer"),
    "create_schedule": ("gradlab.components.schedules", "create_schedule"),
    "create_model": ("gradlab.models", "create_model"),
    "create_task": ("gradlab.data", "create_task"),
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


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(module), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'gradlab' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
