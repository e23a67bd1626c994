"""Learning-rate schedules with the formulas of seed 004, written out so ``lr_at`` is exact.

A :class:`Schedule` owns an optimizer's learning rate. ``interval`` says when the Trainer calls
:meth:`Schedule.step`: after every optimizer step (``"step"``), after every epoch (``"epoch"``),
or after every epoch with the dev metric (``"metric"``, performance scheduling).
``lr_at(t)`` is the learning rate in effect during unit ``t`` (0-based) of that interval, a pure
formula of ``t``; ``step()`` moves to ``t + 1`` and writes ``lr_at(t + 1)`` into every parameter
group (groups with their own base lr are scaled in proportion to the first group's).
The step-based and epoch-based entries live here; plateau, one_cycle and warmup are in
:mod:`gradlab.components.schedules_stateful`.
"""

from __future__ import annotations

import math
from typing import Any

import torch

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

    def state_dict(self) -> dict:
        return {"t": self.t}

    def load_state_dict(self, state: dict) -> None:
        self.t = int(state["t"])
        self._apply()

    def _need(self, what: str, value: int | None) -> int:
        if value is None or value < 1:
            raise ConfigError(f"{type(self).__name__} needs {what} >= 1, got {value!r}")
        return int(value)


def _positive(name: str, value: float) -> float:
    if not value > 0:
        raise ConfigError(f"{name} must be > 0, got {value!r}")
    return float(value)


@SCHEDULES.register("constant")
class Constant(Schedule):
    """The optimizer's lr, unchanged."""

    def lr_at(self, t: int) -> float:
        return self.lr0


@SCHEDULES.register("power", help="lr0 / (1 + t/s)^c, t in steps (seed 004)")
class Power(Schedule):
    """Power scheduling: lr0 / (1 + t/s)^c, t counted in optimizer steps (seed 004)."""

    interval = "step"

    def __init__(self, optimizer, s: float, c: float = 1.0, **kw: Any):
        super().__init__(optimizer, **kw)
        self.s, self.c = _positive("power s", s), float(c)

    def lr_at(self, t: int) -> float:
        return self.lr0 / (1.0 + t / self.s) ** self.c


@SCHEDULES.register("exponential", help="lr0 * 0.1^(t/s), t in steps (seed 004)")
class Exponential(Schedule):
    """Exponential scheduling: lr0 · 0.1^(t/s), t in optimizer steps: ten times smaller every
    s steps (seed 004)."""

    interval = "step"

    def __init__(self, optimizer, s: float, **kw: Any):
        super().__init__(optimizer, **kw)
        self.s = _positive("exponential s", s)

    def lr_at(self, t: int) -> float:
        return self.lr0 * 0.1 ** (t / self.s)


@SCHEDULES.register("piecewise", help="values[i] from epoch boundaries[i-1] on (seed 004)")
class Piecewise(Schedule):
    """Piecewise constant: ``values[i]`` from epoch ``boundaries[i-1]`` on (seed 004:
    ``piecewise([5, 50], [0.1, 0.01, 0.001])`` is 0.1 for epochs 0-4, 0.01 for 5-49, then 0.001).
    The values are absolute learning rates."""

    interval = "epoch"

    def __init__(self, optimizer, boundaries: list, values: list, **kw: Any):
        super().__init__(optimizer, **kw)
        boundaries, values = list(boundaries), [float(v) for v in values]
        if len(values) != len(boundaries) + 1:
            raise ConfigError(
                f"piecewise needs one more value than boundaries, got {len(boundaries)} "
                f"boundaries and {len(values)} values"
            )
        if any(later <= earlier for earlier, later in zip(boundaries, boundaries[1:])):
            raise ConfigError(f"piecewise boundaries must increase, got {boundaries}")
        self.boundaries, self.values = boundaries, values

    def lr_at(self, t: int) -> float:
        return self.values[sum(1 for b in self.boundaries if t >= b)]


@SCHEDULES.register("cosine", help="cosine annealing to min_lr over t_max steps (Loshchilov & Hutter 2017)")
class Cosine(Schedule):
    """Cosine annealing (Loshchilov & Hutter 2017, without restarts):
    min_lr + (lr0 - min_lr) · (1 + cos(π · t / t_max)) / 2, then min_lr; t in steps,
    t_max defaults to the run's total steps."""

    interval = "step"

    def __init__(self, optimizer, t_max: int | None = None, min_lr: float = 0.0, **kw: Any):
        super().__init__(optimizer, **kw)
        self.t_max = self._need("t_max (or total_steps)", t_max if t_max is not None else self.total_steps)
        self.min_lr = float(min_lr)

    def lr_at(self, t: int) -> float:
        frac = min(t, self.t_max) / self.t_max
        return self.min_lr + (self.lr0 - self.min_lr) * (1.0 + math.cos(math.pi * frac)) / 2.0


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
        raise ConfigError(f"bad arguments for schedule {label!r}: {exc}") from None


def create_schedule(spec: Any, optimizer: torch.optim.Optimizer, *, total_steps: int | None = None,
                    steps_per_epoch: int | None = None) -> Schedule:
    """Build a schedule from a spec (``"power(s=1000)"``, ``"piecewise([5, 50], [0.1, 0.01,
    0.001])"``), a :class:`Schedule` subclass, or None (constant), and set ``lr_at(0)``."""
    sched = build_schedule(spec, optimizer, total_steps=total_steps, steps_per_epoch=steps_per_epoch)
    if sched.interval not in INTERVALS:
        raise ConfigError(f"schedule interval must be one of {INTERVALS}, got {sched.interval!r}")
    return sched.start()


# plateau, one_cycle and warmup register themselves; imported last because they subclass Schedule
from gradlab.components import schedules_stateful  # noqa: E402,F401

__all__ = ["Constant", "Cosine", "Exponential", "INTERVALS", "Piecewise", "Power", "SCHEDULES",
           "Schedule", "build_schedule", "create_schedule"]
