"""The operations that apply a recommendation's actions to a live (model, optimizer) pair.

A recommendation says what to change as run-config keys (``{"model.act": "leaky_relu(0.1)"}``);
:mod:`gradlab.diagnose.code_fixes` turns those keys into *actions*
(``{"op": "replace_activation", "spec": "leaky_relu(0.1)"}``) and into the PyTorch code the
user puts into their source — one table for both. For gradlab's own runs the keys are simply set
in the config; for the user's own model and loop each action's ``op`` has an operation here,
in :data:`SURGERY`, listed in the order they must run (the activation before the init that reads
its gain, the norm layers before the optimizer that must train them). An op with no entry, or
whose blocker says no for this model, makes the whole candidate skipped with that reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import torch
from torch import nn

from gradlab.components.init import apply_init
from gradlab.diagnose.code_fixes import code_and_actions
from gradlab.errors import ConfigError
from gradlab.repair import optimizer_surgery as opt_ops
from gradlab.repair.activation_swap import swap_functional, swap_modules
from gradlab.repair.input_hooks import sanitize_inputs, standardize_inputs
from gradlab.repair.norm_insert import insert_norm, norm_blocker


@dataclass
class Patient:
    """A freshly built (model, optimizer) pair and what the original run says about it.

    Attributes:
        model, opt: the pair being changed (the optimizer may be replaced).
        act: the activation the model uses now (a spec string, None when it has none).
        total_steps: optimizer steps the original run took (a schedule's length).
        notes: what each operation did, for the result's explanation.
    """

    model: nn.Module
    opt: torch.optim.Optimizer
    act: str | None = None
    total_steps: int = 1
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Surgery:
    """How one action ``op`` is applied to a :class:`Patient`, and when it cannot be."""

    apply: Callable[[Patient, dict], None]
    blocker: Callable[[Patient, dict], str | None] = lambda patient, action: None


def _act(p: Patient, a: dict) -> None:
    paths = swap_modules(p.model, a["spec"])
    swap_functional(p.model, a["spec"])
    p.act = str(a["spec"])
    p.notes.append(f"activation -> {a['spec']} ({len(paths)} modules, and functional calls in forward)")


def _init(p: Patient, a: dict) -> None:
    apply_init(p.model, weight=a.get("scheme", "default"), bias=a.get("bias") or "default", act=p.act)
    p.notes.append(f"weights {a.get('scheme')}, biases {a.get('bias')} (gain for {p.act or 'linear'})")


def _norm(p: Patient, a: dict) -> None:
    added = insert_norm(p.model, str(a["kind"]), p.opt)
    p.notes.append(f"{a['kind']} norm inserted before {len(added)} activations")


def _optimizer(p: Patient, a: dict) -> None:
    p.opt = opt_ops.replace_optimizer(p.opt, a["name"])
    p.notes.append(f"optimizer -> {a['name']}")


def _lr(p: Patient, a: dict) -> None:
    opt_ops.set_lr(p.opt, float(a["value"]))
    p.notes.append(f"learning rate -> {a['value']:g}")


def _clip(p: Patient, a: dict) -> None:
    opt_ops.add_clipping(p.opt, float(a["max_norm"]))
    p.notes.append(f"gradients clipped to norm {a['max_norm']:g}")


def _zero_grad(p: Patient, a: dict) -> None:
    opt_ops.add_zero_grad(p.opt)
    p.notes.append("gradients reset after every optimizer step (a hook: put optimizer.zero_grad() in the loop)")


def _train_mode(p: Patient, a: dict) -> None:
    model = p.model

    def to_train(module: nn.Module, args: Any) -> None:
        if torch.is_grad_enabled() and not module.training:
            module.train()  # a forward that builds a graph is a training forward

    model.register_forward_pre_hook(to_train)
    p.notes.append("train mode set for every forward with gradients (a hook: put model.train() in the loop)")


def _schedule(p: Patient, a: dict) -> None:
    opt_ops.add_schedule(p.opt, a["spec"], p.total_steps)
    p.notes.append(f"lr schedule {a['spec']} over {p.total_steps} steps")


def _standardize(p: Patient, a: dict) -> None:
    standardize_inputs(p.model)
    p.notes.append("inputs standardized with the first training batch's statistics (a hook on the model)")


def _sanitize(p: Patient, a: dict) -> None:
    sanitize_inputs(p.model)
    p.notes.append("NaN/Inf in the inputs set to 0 (a stop-gap hook on the model: clean the data)")


# op -> surgery, in the order the operations run
SURGERY: dict[str, Surgery] = {
    "normalize_inputs": Surgery(_standardize),
    "sanitize_inputs": Surgery(_sanitize),  # after: its hook is put ahead of the standardizer's
    "replace_activation": Surgery(_act),
    "insert_norm": Surgery(_norm, lambda p, a: norm_blocker(p.model, str(a["kind"]))),
    "init": Surgery(_init),
    "init_bias": Surgery(_init),
    "optimizer": Surgery(_optimizer),
    "set_lr": Surgery(_lr),
    "clip_grad_norm": Surgery(_clip),
    "zero_grad": Surgery(_zero_grad),
    "train_mode": Surgery(_train_mode),
    "warmup": Surgery(_schedule),
    "schedule": Surgery(_schedule),
}


def actions(changes: dict) -> list[dict]:
    """The actions of ``changes`` (run-config keys), from :mod:`gradlab.diagnose.code_fixes`."""
    return code_and_actions(changes)[1]


def blocker(patient: Patient, changes: dict) -> str | None:
    """Why ``changes`` cannot be applied to ``patient`` (None when every action can)."""
    for a in actions(changes):
        if a["op"] not in SURGERY:
            what = f"{a['key']}={a['value']!r}" if a["op"] == "set" else a["op"]
            return f"no surgery for {what} on a user's model (known: {', '.join(SURGERY)})"
        reason = SURGERY[a["op"]].blocker(patient, a)
        if reason:
            return f"{a['op']}: {reason}"
    return None


def operate(patient: Patient, changes: dict) -> Patient:
    """Apply ``changes`` to ``patient``: their actions in :data:`SURGERY` order.

    Raises:
        ConfigError: an action that cannot be applied (see :func:`blocker`).
    """
    reason = blocker(patient, changes)
    if reason:
        raise ConfigError(reason)
    order = list(SURGERY)
    for a in sorted(actions(changes), key=lambda a: order.index(a["op"])):
        SURGERY[a["op"]].apply(patient, a)
    return patient


def as_code(changes: dict, act: str | None, lr: float | None = None, total_steps: int | None = None,
            weight_decay: float | None = None) -> str:
    """``changes`` as PyTorch lines for the user's source (the run's activation, lr, ... now)."""
    context: dict[str, Any] = {"model.act": act, "train.lr": lr, "train.total_steps": total_steps,
                               "train.weight_decay": weight_decay}
    return code_and_actions(changes, {k: v for k, v in context.items() if v is not None})[0]
