"""Activation modules PyTorch does not ship: Swish(β), scheduled and learnable LeakyReLU.

* :class:`Swish` — ``z·σ(βz)`` (Ramachandran et al. 2017, "Searching for Activation Functions"),
  with β fixed or learnable; β = 1 is SiLU.
* :class:`ScheduledLeakyReLU` — a LeakyReLU (Maas et al. 2013) whose negative slope follows
  training progress, as in seed 000's "progressive slope" recipe (0.3 → 0.1 linearly over the
  epochs). It subclasses :class:`torch.nn.LeakyReLU`, so code that looks for ``nn.LeakyReLU`` and
  reads ``negative_slope`` keeps working.
* :class:`LearnableLeakyReLU` — one learnable slope for the whole layer (seed 000's
  ``SmartLeakyReLU``), i.e. a PReLU with a single parameter (He et al. 2015).
* :class:`FunctionActivation` — wraps a plain function ``f(x, **kwargs)`` as a module.
"""

from __future__ import annotations

import math
from typing import Any, Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from gradlab.errors import ConfigError

SLOPE_SCHEDULES = ("linear", "cosine", "exponential", "step")


class Swish(nn.Module):
    """Swish: ``z * sigmoid(beta * z)`` (Ramachandran et al. 2017).

    Args:
        beta: the sharpness; 1.0 gives SiLU, large values approach ReLU.
        learnable: make ``beta`` an ``nn.Parameter`` trained with the network.
    """

    def __init__(self, beta: float = 1.0, learnable: bool = False):
        super().__init__()
        self.learnable = bool(learnable)
        self.beta: nn.Parameter | float
        if self.learnable:
            self.beta = nn.Parameter(torch.tensor(float(beta)))
        else:
            self.beta = float(beta)

    def forward(self, x: Tensor) -> Tensor:
        if not self.learnable and self.beta == 1.0:
            return F.silu(x)  # the fused kernel: same function, one pass
        return x * torch.sigmoid(self.beta * x)

    def extra_repr(self) -> str:
        beta = float(self.beta) if self.learnable else self.beta
        return f"beta={beta:g}, learnable={self.learnable}"


def _slope_weight(shape: str, p: float, steps: int) -> float:
    """Share of the way from ``start`` to ``end`` at progress ``p`` for the built-in shapes."""
    if shape == "linear":
        return p
    if shape == "cosine":
        return 0.5 * (1.0 - math.cos(math.pi * p))
    if shape == "step":
        return min(math.floor(p * (steps + 1)), steps) / steps
    raise AssertionError(shape)  # exponential is handled by the caller (it is geometric)


class ScheduledLeakyReLU(nn.LeakyReLU):
    """LeakyReLU whose negative slope moves from ``start`` to ``end`` as training progresses.

    The Trainer calls :meth:`set_progress` with ``epoch / epochs`` at the start of every epoch.
    Seed 000: ``slope = initial + (final - initial) * epoch / total_epochs`` with 0.3 → 0.1, a
    wide leak early (gradient reaches every unit) and a sharper nonlinearity late.

    Args:
        start: slope at progress 0.
        end: slope at progress 1.
        schedule: ``"linear"``, ``"cosine"`` (slow-fast-slow), ``"exponential"`` (geometric:
            ``start * (end/start)**p``, both slopes nonzero with one sign), ``"step"`` (``steps``
            equal drops), or a callable ``progress -> slope``.
        steps: number of drops for ``"step"`` (1: ``start`` before half-way, ``end`` after).
    """

    def __init__(
        self,
        start: float = 0.3,
        end: float = 0.1,
        schedule: str | Callable[[float], float] = "linear",
        steps: int = 1,
    ):
        super().__init__(negative_slope=float(start))
        if not callable(schedule) and schedule not in SLOPE_SCHEDULES:
            raise ConfigError(
                f"unknown slope schedule {schedule!r}: use one of {', '.join(SLOPE_SCHEDULES)} "
                "or a callable progress -> slope"
            )
        if schedule == "exponential" and (start * end <= 0):
            raise ConfigError(
                f"exponential slope schedule needs start and end of one sign and nonzero, got "
                f"start={start}, end={end}; use schedule='linear' to reach 0"
            )
        if int(steps) < 1:
            raise ConfigError(f"steps must be >= 1, got {steps}")
        self.start, self.end, self.schedule, self.steps = float(start), float(end), schedule, int(steps)
        self.progress = 0.0
        self.set_progress(0.0)

    def slope_at(self, progress: float) -> float:
        """The slope the schedule gives at ``progress`` in [0, 1] (clamped)."""
        p = min(max(float(progress), 0.0), 1.0)
        if callable(self.schedule):
            return float(self.schedule(p))
        if self.schedule == "exponential":
            return self.start * (self.end / self.start) ** p
        return self.start + (self.end - self.start) * _slope_weight(self.schedule, p, self.steps)

    def set_progress(self, progress: float) -> None:
        """Move to ``progress`` (share of training done, clamped to [0, 1])."""
        self.progress = min(max(float(progress), 0.0), 1.0)
        self.negative_slope = self.slope_at(self.progress)

    def extra_repr(self) -> str:
        shape = getattr(self.schedule, "__name__", self.schedule)
        return (
            f"start={self.start:g}, end={self.end:g}, schedule={shape}, "
            f"progress={self.progress:.3g}, negative_slope={self.negative_slope:.4g}"
        )


class LearnableLeakyReLU(nn.Module):
    """LeakyReLU with one trainable negative slope (seed 000's ``SmartLeakyReLU``).

    Equivalent to a single-parameter PReLU (He et al. 2015), and computed with its fused kernel.

    Args:
        init: the initial slope.
    """

    def __init__(self, init: float = 0.1):
        super().__init__()
        self.slope = nn.Parameter(torch.tensor([float(init)]))

    @property
    def negative_slope(self) -> float:
        """The current slope as a float (reads the parameter; syncs on GPU)."""
        return float(self.slope.detach()[0])

    def forward(self, x: Tensor) -> Tensor:
        return F.prelu(x, self.slope.to(x.dtype))

    def extra_repr(self) -> str:
        return f"slope={self.negative_slope:.4g}"


class FunctionActivation(nn.Module):
    """A plain function ``fn(x, **kwargs)`` used as an activation module.

    Args:
        fn: the function, e.g. ``torch.nn.functional.leaky_relu``.
        **kwargs: fixed keyword arguments of every call (``negative_slope=0.2``).
    """

    def __init__(self, fn: Callable[..., Tensor], **kwargs: Any):
        super().__init__()
        if not callable(fn):
            raise ConfigError(f"an activation function must be callable, got {fn!r}")
        self.fn, self.kwargs = fn, dict(kwargs)

    def forward(self, x: Tensor) -> Tensor:
        return self.fn(x, **self.kwargs)

    def extra_repr(self) -> str:
        name = getattr(self.fn, "__qualname__", getattr(self.fn, "__name__", repr(self.fn)))
        args = "".join(f", {k}={v!r}" for k, v in self.kwargs.items())
        return f"fn={name}{args}"


__all__ = [
    "FunctionActivation",
    "LearnableLeakyReLU",
    "SLOPE_SCHEDULES",
    "ScheduledLeakyReLU",
    "Swish",
]
