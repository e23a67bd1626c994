"""Learning-rate schedules with the formulas of seed 004, written out so ``lr_at`` is exact.

Constant, power, exponential, piecewise and cosine: ``lr_at(t)`` is a closed formula of ``t``.
Plateau, one_cycle and warmup are in :mod:`gradlab.components.schedules_stateful`.
"""

from __future__ import annotations

import math
from typing import Any

from gradlab.components.schedule_base import SCHEDULES, Schedule, positive
from gradlab.errors import ConfigError


@SCHEDULES.register("constant")
class Constant(Schedule):
    """The optimizer's lr, unchanged."""

    def lr_at(self, t: int) -> float:
        return self.lr0


@SCHEDULES.register("power", help="power scheduling: lr0 / (1 + t/s)^c, t in optimizer steps")
class Power(Schedule):
    """Power scheduling: lr0 / (1 + t/s)^c, t counted in optimizer steps (seed 004)."""

    interval = "step"

    def __init__(self, optimizer, s: float, c: float = 1.0, **kw: Any):
        super().__init__(optimizer, **kw)
        self.s, self.c = positive("power s", s), float(c)

    def lr_at(self, t: int) -> float:
        return self.lr0 / (1.0 + t / self.s) ** self.c


@SCHEDULES.register("exponential", help="exponential decay: lr0 * 0.1^(t/s), t in optimizer steps")
class Exponential(Schedule):
    """Exponential scheduling: lr0 · 0.1^(t/s), t in optimizer steps: ten times smaller every
    s steps (seed 004)."""

    interval = "step"

    def __init__(self, optimizer, s: float, **kw: Any):
        super().__init__(optimizer, **kw)
        self.s = positive("exponential s", s)

    def lr_at(self, t: int) -> float:
        return self.lr0 * 0.1 ** (t / self.s)


@SCHEDULES.register("piecewise", help="piecewise constant: values[i] from epoch boundaries[i-1] on")
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


__all__ = ["Constant", "Cosine", "Exponential", "Piecewise", "Power"]
