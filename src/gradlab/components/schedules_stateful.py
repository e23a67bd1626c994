"""Schedules with state or structure: plateau (performance), one_cycle (1cycle), warmup.

Registered into :data:`gradlab.components.schedule_base.SCHEDULES`; import
:mod:`gradlab.components.schedules`, which loads every schedule.
"""

from __future__ import annotations

import math
from typing import Any

from gradlab.components.schedule_base import SCHEDULES, Schedule, build_schedule
from gradlab.errors import ConfigError


@SCHEDULES.register("plateau", aliases=("performance",),
                    help="lr *= factor after patience epochs without dev improvement")
class Plateau(Schedule):
    """Performance scheduling (seed 004): after ``patience`` epochs without the dev metric
    improving, multiply the lr by ``factor`` (not below ``min_lr``).

    ``mode`` is ``"min"`` for a loss or error (default) and ``"max"`` for an accuracy; the
    Trainer may set ``schedule.mode`` from its metric. An improvement must beat the best value
    by the relative ``threshold``. ``lr_at(t)`` replays the lrs of the epochs seen so far (it
    depends on the metrics, so it cannot be a formula of t alone) and is the current lr after.
    """

    interval = "metric"

    def __init__(self, optimizer, factor: float = 0.5, patience: int = 10, min_lr: float = 0.0,
                 mode: str = "min", threshold: float = 1e-4, **kw: Any):
        super().__init__(optimizer, **kw)
        if not 0.0 < factor < 1.0:
            raise ConfigError(f"plateau factor must be in (0, 1), got {factor!r}")
        if patience < 0:
            raise ConfigError(f"plateau patience must be >= 0, got {patience!r}")
        self.factor, self.patience, self.min_lr = float(factor), int(patience), float(min_lr)
        self.mode, self.threshold = mode, float(threshold)
        self.best: float | None = None
        self.bad_epochs = 0
        self._lrs = [self.lr0]

    def _improved(self, metric: float) -> bool:
        if self.mode not in ("min", "max"):
            raise ConfigError(f"plateau mode must be 'min' or 'max', got {self.mode!r}")
        if math.isnan(metric):
            return False
        if self.best is None:
            return True
        margin = self.threshold * abs(self.best)
        return metric < self.best - margin if self.mode == "min" else metric > self.best + margin

    def step(self, metric: float | None = None) -> None:
        if metric is None:
            raise ConfigError("the plateau schedule steps on the dev metric: call step(metric=...)")
        metric = float(metric)
        self.t += 1
        if self._improved(metric):
            self.best, self.bad_epochs = metric, 0
        else:
            self.bad_epochs += 1
        lr = self._lrs[-1]
        if self.bad_epochs > self.patience:
            lr, self.bad_epochs = max(lr * self.factor, self.min_lr), 0
        self._lrs.append(lr)
        self._apply()

    def lr_at(self, t: int) -> float:
        return self._lrs[min(t, len(self._lrs) - 1)]

    def state_dict(self) -> dict:
        return {"t": self.t, "best": self.best, "bad_epochs": self.bad_epochs, "lrs": list(self._lrs)}

    def load_state_dict(self, state: dict) -> None:
        self.best, self.bad_epochs, self._lrs = state["best"], state["bad_epochs"], list(state["lrs"])
        super().load_state_dict(state)


@SCHEDULES.register("one_cycle", aliases=("1cycle", "onecycle"),
                    help="lr up linearly to max_lr, then down; momentum the other way (Smith 2018)")
class OneCycle(Schedule):
    """1cycle (Smith 2018; seed 004): the lr rises linearly from the optimizer's lr to ``max_lr``
    over the first ``pct`` of the run, then falls linearly to ``lr0 / final_div``; momentum (or
    Adam's beta1) moves the opposite way, ``max_momentum`` → ``base_momentum`` → back.

    ``max_lr`` defaults to 10 × the optimizer's lr. Momentum is cycled only when the optimizer
    already uses it (SGD with momentum > 0, or betas).
    """

    interval = "step"

    def __init__(self, optimizer, max_lr: float | None = None, pct: float = 0.5, final_div: float = 10.0,
                 max_momentum: float = 0.95, base_momentum: float = 0.85, cycle_momentum: bool = True,
                 **kw: Any):
        super().__init__(optimizer, **kw)
        self.total = self._need("total_steps", self.total_steps)
        if not 0.0 <= pct <= 1.0:
            raise ConfigError(f"one_cycle pct must be in [0, 1], got {pct!r}")
        self.max_lr = float(max_lr) if max_lr is not None else 10.0 * self.lr0
        self.final_lr = self.lr0 / float(final_div)
        self.up = pct * self.total
        self.max_m, self.base_m = float(max_momentum), float(base_momentum)
        self.cycle = bool(cycle_momentum) and any(
            "betas" in g or g.get("momentum", 0.0) > 0 for g in optimizer.param_groups
        )

    def _phase(self, t: int) -> tuple[float, bool]:
        """(fraction through the current phase, still rising?)."""
        t = min(max(t, 0), self.total)
        if t < self.up:
            return t / self.up, True
        down = self.total - self.up
        return ((t - self.up) / down if down > 0 else 1.0), False

    def lr_at(self, t: int) -> float:
        frac, rising = self._phase(t)
        if rising:
            return self.lr0 + (self.max_lr - self.lr0) * frac
        return self.max_lr + (self.final_lr - self.max_lr) * frac

    def momentum_at(self, t: int) -> float:
        """The momentum (or beta1) during step ``t``: high when the lr is low."""
        frac, rising = self._phase(t)
        if rising:
            return self.max_m + (self.base_m - self.max_m) * frac
        return self.base_m + (self.max_m - self.base_m) * frac

    @property
    def current_momentum(self) -> float | None:
        """The momentum (or beta1) this schedule set now; None when it does not cycle it."""
        return self.momentum_at(self.t) if self.cycle else None

    def _apply(self) -> None:
        super()._apply()
        if not self.cycle:
            return
        m = self.momentum_at(self.t)
        for group in self.optimizer.param_groups:
            if "betas" in group:
                group["betas"] = (m, group["betas"][1])
            elif group.get("momentum", 0.0) > 0:
                group["momentum"] = m


@SCHEDULES.register("warmup", help="linear warmup over steps, then another schedule")
class Warmup(Schedule):
    """Linear warmup over ``steps`` optimizer steps to the lr that ``then`` starts with, then
    ``then`` (any schedule spec but plateau). Step-based ``then`` schedules start their clock
    after the warmup; epoch-based ones keep the run's epoch count."""

    interval = "step"

    def __init__(self, optimizer, steps: int, then: Any = "constant", **kw: Any):
        super().__init__(optimizer, **kw)
        self.steps = self._need("warmup steps", steps)
        rest = None if self.total_steps is None else max(self.total_steps - self.steps, 1)
        self.then = build_schedule(then, optimizer, total_steps=rest, steps_per_epoch=self.steps_per_epoch)
        if self.then.interval == "metric":
            raise ConfigError("warmup cannot be followed by plateau (it steps on the metric, per epoch)")
        if self.then.interval == "epoch":
            self._need("steps_per_epoch", self.steps_per_epoch)

    def _then_at(self, t: int) -> float:
        if self.then.interval == "step":
            return self.then.lr_at(max(t - self.steps, 0))
        return self.then.lr_at(t // self._need("steps_per_epoch", self.steps_per_epoch))

    def lr_at(self, t: int) -> float:
        if t < self.steps:
            return self._then_at(self.steps) * (t + 1) / self.steps
        return self._then_at(t)


__all__ = ["OneCycle", "Plateau", "Warmup"]
