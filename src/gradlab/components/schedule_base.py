"""The schedule base class, the registry every schedule registers in, and spec -> schedule.

A :class:`Schedule` owns an optimizer's learning rate. ``interval`` says when the Trainer calls
:meth:`Schedule.step`: after every optimizer step (``"step"``), after every epoch (``"epoch"``),
or after every epoch with the dev metric (``"metric"``, performance scheduling).
``lr_at(t)`` is the learning rate in effect during unit ``t`` (0-based) of that interval, a pure
formula of ``t``; ``step()`` moves to ``t + 1`` and writes ``lr_at(t + 1)`` into every parameter
group (groups with their own base lr are scaled in proportion to the first group's).
The schedules themselves are in :mod:`~gradlab.components.schedules_formula` and
:mod:`~gradlab.components.schedules_stateful`; :mod:`gradlab.components.schedules` loads both.
"""

from __future__ import annotations

from typing import Any

import torch

from gradlab.components.arguments import argument_error
from gradlab.components.registry import Registry
from gradlab.components.spec import Spec, format_spec, parse_spec
from gradlab.errors import ConfigError

SCHEDULES = Registry("schedule")
INTERVALS = ("step", "epoch", "metric")


class Schedule:
    """Base class: subclasses set ``interval`` and implement :meth:`lr_at`.

    Args:
        optimizer: the optimizer whose ``lr`` this schedule drives; its current lr is ``lr0``.
        total_steps: optimizer steps in the whole run (for one_cycle, cosine).
        steps_per_epoch: optimizer steps per epoch (to convert epoch boundaries).
    """

    interval = "epoch"

    def __init__(self, optimizer: torch.optim.Optimizer, *, total_steps: int | None = None,
                 steps_per_epoch: int | None = None):
        self.optimizer = optimizer
        self.base_lrs = [float(g.get("initial_lr", g["lr"])) for g in optimizer.param_groups]
        for group, base in zip(optimizer.param_groups, self.base_lrs):
            group.setdefault("initial_lr", base)
        self.lr0 = self.base_lrs[0]
        self.total_steps = total_steps
        self.steps_per_epoch = steps_per_epoch
        self.t = 0

    def lr_at(self, t: int) -> float:
        """The learning rate during unit ``t`` of ``interval`` (0-based)."""
        raise NotImplementedError

    def _apply(self) -> None:
        lr = self.lr_at(self.t)
        for group, base in zip(self.optimizer.param_groups, self.base_lrs):
            group["lr"] = lr * (base / self.lr0) if self.lr0 else lr

    def start(self) -> "Schedule":
        """Write ``lr_at(0)`` into the optimizer (done by :func:`create_schedule`)."""
        self._apply()
        return self

    def step(self, metric: float | None = None) -> None:
        """Advance one unit of ``interval`` and set the new learning rate."""
        self.t += 1
        self._apply()

    @property
    def current_lr(self) -> float:
        """The first parameter group's learning rate now."""
        return float(self.optimizer.param_groups[0]["lr"])

    @property
    def current_momentum(self) -> float | None:
        """The momentum this schedule drives now (None: it leaves momentum alone; one_cycle
        cycles it)."""
        return None

    def state_dict(self) -> dict:
        return {"t": self.t}

    def load_state_dict(self, state: dict) -> None:
        self.t = int(state["t"])
        self._apply()

    def _need(self, what: str, value: int | None) -> int:
        if value is None or value < 1:
            raise ConfigError(f"{type(self).__name__} needs {what} >= 1, got {value!r}")
        return int(value)


def positive(name: str, value: float) -> float:
    """``value`` as a float; a ConfigError naming ``name`` unless it is > 0."""
    if not value > 0:
        raise ConfigError(f"{name} must be > 0, got {value!r}")
    return float(value)


def build_schedule(spec: Any, optimizer: torch.optim.Optimizer, **sizes: Any) -> Schedule:
    """Construct (without touching the optimizer's lr) the schedule a spec names.

    The optimizer comes first, then the spec's own arguments: ``"power(1000)"`` is
    ``Power(optimizer, 1000, total_steps=..., steps_per_epoch=...)``.
    """
    if spec is None:
        spec = "constant"
    if isinstance(spec, Schedule):
        return spec
    if isinstance(spec, (str, Spec)):
        parsed = parse_spec(spec) if isinstance(spec, str) else spec
        target, args, kwargs = SCHEDULES.get(parsed), parsed.args, parsed.kwargs
        label = format_spec(parsed.name, parsed.args, parsed.kwargs)
    elif callable(spec):
        target, args, kwargs, label = spec, (), {}, getattr(spec, "__name__", repr(spec))
    else:
        raise ConfigError(f"expected a schedule name, spec or class, got {spec!r}")
    try:
        return target(optimizer, *args, **kwargs, **sizes)
    except TypeError as exc:
        raise argument_error("schedule", label, target, args, kwargs, exc) from None


def create_schedule(spec: Any, optimizer: torch.optim.Optimizer, *, total_steps: int | None = None,
                    steps_per_epoch: int | None = None) -> Schedule:
    """Build a schedule from a spec (``"power(s=1000)"``, ``"piecewise([5, 50], [0.1, 0.01,
    0.001])"``), a :class:`Schedule` subclass, or None (constant), and set ``lr_at(0)``."""
    sched = build_schedule(spec, optimizer, total_steps=total_steps, steps_per_epoch=steps_per_epoch)
    if sched.interval not in INTERVALS:
        raise ConfigError(f"schedule interval must be one of {INTERVALS}, got {sched.interval!r}")
    return sched.start()


__all__ = ["INTERVALS", "SCHEDULES", "Schedule", "build_schedule", "create_schedule", "positive"]
