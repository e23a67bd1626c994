"""Change how a user's optimizer steps, on the same parameters and without touching their loop.

* another optimizer class (``"adam"``, ``"adam(betas=[0.9, 0.99])"``): a new optimizer over the
  same parameter groups, each keeping its learning rate and weight decay;
* another learning rate: every parameter group's ``lr``;
* gradient clipping by global norm: a ``register_step_pre_hook`` that clips just before each
  ``step()`` (after the user's ``backward()``), as ``clip_grad_norm_`` in the loop would;
* gradients reset after every step (a loop that forgot ``zero_grad()``): a step post-hook, so
  the next backward starts from nothing;
* a learning-rate schedule (warm-up, cosine, ...): gradlab's own schedule
  (:func:`gradlab.components.schedule_base.create_schedule`) advanced by a step post-hook. The
  user's loop has no epochs gradlab can see, so every optimizer step counts as one unit, and the
  schedule's length is the number of steps the original run took.
"""

from __future__ import annotations

from typing import Any

import torch

from gradlab.components.optim import create_optimizer


def _groups(opt: torch.optim.Optimizer) -> list[dict]:
    return [{"params": g["params"], "lr": g["lr"], "weight_decay": g.get("weight_decay", 0.0)}
            for g in opt.param_groups]


def replace_optimizer(opt: torch.optim.Optimizer, spec: Any) -> torch.optim.Optimizer:
    """A new optimizer built from ``spec`` over ``opt``'s parameter groups (lr and decay kept)."""
    groups = _groups(opt)
    return create_optimizer(spec, groups, lr=groups[0]["lr"], weight_decay=groups[0]["weight_decay"])


def set_lr(opt: torch.optim.Optimizer, lr: float) -> torch.optim.Optimizer:
    """Set every parameter group's learning rate (and ``initial_lr``, which schedules start from)."""
    for g in opt.param_groups:
        g["lr"] = float(lr)
        if "initial_lr" in g:
            g["initial_lr"] = float(lr)
    return opt


def add_clipping(opt: torch.optim.Optimizer, max_norm: float) -> torch.optim.Optimizer:
    """Clip the global gradient norm of ``opt``'s parameters to ``max_norm`` before each step."""
    params = [p for g in opt.param_groups for p in g["params"]]

    def clip(_opt: Any, _args: Any, _kwargs: Any) -> None:
        torch.nn.utils.clip_grad_norm_(params, float(max_norm))

    opt.register_step_pre_hook(clip)
    return opt


def add_zero_grad(opt: torch.optim.Optimizer) -> torch.optim.Optimizer:
    """Reset ``opt``'s gradients right after each step, as ``optimizer.zero_grad()`` would."""

    def reset(_opt: Any, _args: Any, _kwargs: Any) -> None:
        _opt.zero_grad(set_to_none=True)

    opt.register_step_post_hook(reset)
    return opt


def add_schedule(opt: torch.optim.Optimizer, spec: Any, total_steps: int) -> torch.optim.Optimizer:
    """Drive ``opt``'s learning rate by gradlab's schedule ``spec`` over ``total_steps`` steps."""
    from gradlab.components.schedules import create_schedule  # the face registers every schedule

    schedule = create_schedule(spec, opt, total_steps=max(int(total_steps), 1), steps_per_epoch=1)

    def advance(_opt: Any, _args: Any, _kwargs: Any) -> None:
        schedule.step()

    opt.register_step_post_hook(advance)
    opt._gradlab_schedule = schedule  # type: ignore[attr-defined]  # kept alive with the optimizer
    return opt
