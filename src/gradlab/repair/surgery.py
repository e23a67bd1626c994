"""The one table from a recommendation's settings to surgery on a live (model, optimizer) pair.

A recommendation says what to change as run-config keys (``{"model.act": "leaky_relu(0.1)"}``,
see :mod:`gradlab.diagnose.recommend`). For gradlab's own runs the key is simply set in the
config; for the user's own model and loop each key needs an operation on the built objects,
and a line of PyTorch the user can paste into their source. :data:`SURGERY` holds both, per
key, in the order they must run (the activation before the init that reads its gain, the norm
layers before the optimizer that must train them). A key with no entry, or whose ``blocker``
says no for this model, makes the whole candidate skipped with that reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import torch
from torch import nn

from gradlab.components.activations import create_activation
from gradlab.components.init import apply_init
from gradlab.components.spec import parse_spec
from gradlab.errors import ConfigError
from gradlab.repair import optimizer_surgery as opt_ops
from gradlab.repair.activation_swap import swap_functional, swap_modules
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
    """How one config key is applied to a :class:`Patient`, and written as code."""

    apply: Callable[[Patient, Any, dict], None]
    code: Callable[[Any, dict, str | None], str]
    blocker: Callable[[Patient, Any], str | None] = lambda patient, value: None


def _act(p: Patient, value: Any, changes: dict) -> None:
    paths = swap_modules(p.model, value)
    swap_functional(p.model, value)
    p.act = str(value)
    p.notes.append(f"activation -> {value} ({len(paths)} modules, and functional calls in forward)")


def _act_code(value: Any, changes: dict, act: str | None) -> str:
    return f"nn.{create_activation(value)!r}  # in place of every hidden activation (F.x calls too)"


def _init(p: Patient, value: Any, changes: dict) -> None:
    weight = changes.get("model.init", "default")
    bias = changes.get("model.bias_init", "default")
    apply_init(p.model, weight=weight, bias=bias, act=p.act)
    p.notes.append(f"weights {weight}, biases {bias} (gain for {p.act or 'linear'})")


def _weight_line(spec: str, act: str | None) -> str:
    name = parse_spec(spec).name
    if name == "default":
        return "m.reset_parameters()"
    act_name = parse_spec(act).name if act else None
    if name.startswith(("he_", "kaiming_")):
        fn = "kaiming_normal_" if name.endswith("normal") else "kaiming_uniform_"
        if act_name == "leaky_relu":
            slope = parse_spec(act).args[0] if parse_spec(act).args else 0.01  # type: ignore[arg-type]
            return f'nn.init.{fn}(m.weight, a={slope}, nonlinearity="leaky_relu")'
        return f'nn.init.{fn}(m.weight, nonlinearity="relu")'
    if name.startswith("lecun_"):
        fn = "kaiming_normal_" if name.endswith("normal") else "kaiming_uniform_"
        return f'nn.init.{fn}(m.weight, nonlinearity="linear")  # LeCun: variance 1/fan_in'
    if name.startswith(("xavier_", "glorot_")):
        fn = "xavier_normal_" if name.endswith("normal") else "xavier_uniform_"
        gain = f', gain=nn.init.calculate_gain("{act_name}")' if act_name == "tanh" else ""
        return f"nn.init.{fn}(m.weight{gain})"
    return f"gradlab.components.init.create_init({spec!r})(m.weight)"


def _init_code(value: Any, changes: dict, act: str | None) -> str:
    lines = ["for m in model.modules():", "    if isinstance(m, (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)):"]
    if "model.init" in changes:
        lines.append(f"        {_weight_line(str(changes['model.init']), act)}")
    bias = changes.get("model.bias_init")
    if bias is not None:
        b = "nn.init.zeros_(m.bias)" if parse_spec(str(bias)).name == "zeros" else \
            f"gradlab.components.init.create_init({bias!r})(m.bias)"
        lines.append(f"        if m.bias is not None: {b}")
    return "\n".join(lines)


def _norm(p: Patient, value: Any, changes: dict) -> None:
    added = insert_norm(p.model, str(value), p.opt)
    p.notes.append(f"{value} norm inserted before {len(added)} activations")


def _norm_code(value: Any, changes: dict, act: str | None) -> str:
    layer = "nn.BatchNorm1d(features)" if value == "batch" else "nn.LayerNorm(features)"
    return f"{layer}  # between each Linear and its activation (BatchNorm2d after a Conv2d)"


def _optimizer(p: Patient, value: Any, changes: dict) -> None:
    p.opt = opt_ops.replace_optimizer(p.opt, value)
    p.notes.append(f"optimizer -> {value}")


def _optimizer_code(value: Any, changes: dict, act: str | None) -> str:
    spec = parse_spec(str(value))
    cls = {"adam": "Adam", "adamw": "AdamW", "sgd": "SGD", "momentum": "SGD", "nesterov": "SGD",
           "rmsprop": "RMSprop", "adagrad": "Adagrad", "adamax": "Adamax", "nadam": "NAdam"}.get(spec.name, spec.name)
    extra = {"momentum": ", momentum=0.9", "nesterov": ", momentum=0.9, nesterov=True"}.get(spec.name, "")
    extra += "".join(f", {k}={tuple(v) if isinstance(v, list) else v!r}" for k, v in spec.kwargs.items())
    lr = changes.get("train.lr", changes.get("_lr", "lr"))
    return f"opt = torch.optim.{cls}(model.parameters(), lr={lr}{extra})"


def _lr(p: Patient, value: Any, changes: dict) -> None:
    opt_ops.set_lr(p.opt, float(value))
    p.notes.append(f"learning rate -> {value:g}")


def _lr_code(value: Any, changes: dict, act: str | None) -> str:
    if "train.optimizer" in changes:
        return ""  # the optimizer's line already carries it
    return f"for g in opt.param_groups: g['lr'] = {value:g}"


def _clip(p: Patient, value: Any, changes: dict) -> None:
    opt_ops.add_clipping(p.opt, float(value))
    p.notes.append(f"gradients clipped to norm {value:g}")


def _clip_code(value: Any, changes: dict, act: str | None) -> str:
    return f"torch.nn.utils.clip_grad_norm_(model.parameters(), {value:g})  # after loss.backward(), before opt.step()"


def _schedule(p: Patient, value: Any, changes: dict) -> None:
    opt_ops.add_schedule(p.opt, value, p.total_steps)
    p.notes.append(f"lr schedule {value} over {p.total_steps} steps")


def _schedule_code(value: Any, changes: dict, act: str | None) -> str:
    spec = parse_spec(str(value))
    if spec.name == "cosine":
        return ("sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total_steps)"
                "  # sched.step() after each opt.step()")
    if spec.name == "warmup":
        steps = spec.kwargs.get("steps", spec.args[0] if spec.args else "warmup_steps")
        return (f"sched = torch.optim.lr_scheduler.LinearLR(opt, start_factor=1 / {steps}, total_iters={steps})"
                "  # sched.step() after each opt.step()")
    return f"sched = gradlab.create_schedule({str(value)!r}, opt, total_steps=total_steps)  # sched.step() per step"


def _warmup(p: Patient, value: Any, changes: dict) -> None:
    _schedule(p, f"warmup(steps={int(value)})", changes)


def _norm_blocker(p: Patient, value: Any) -> str | None:
    return norm_blocker(p.model, str(value))


def _no_data(p: Patient, value: Any) -> str | None:
    return "changes the training data, which repair cannot reach: standardize the inputs in your data pipeline"


# key -> surgery, in the order the operations run
SURGERY: dict[str, Surgery] = {
    "model.act": Surgery(_act, _act_code),
    "model.norm": Surgery(_norm, _norm_code, _norm_blocker),
    "model.init": Surgery(_init, _init_code),
    "model.bias_init": Surgery(_init, _init_code),
    "train.optimizer": Surgery(_optimizer, _optimizer_code),
    "train.lr": Surgery(_lr, _lr_code),
    "train.clip_norm": Surgery(_clip, _clip_code),
    "train.schedule": Surgery(_schedule, _schedule_code),
    "train.warmup": Surgery(_warmup, lambda v, c, a: _schedule_code(f"warmup(steps={v})", c, a)),
    "task.normalize": Surgery(lambda p, v, c: None, lambda v, c, a: "", _no_data),
}


def blocker(patient: Patient, changes: dict) -> str | None:
    """Why ``changes`` cannot be applied to ``patient`` (None when every key can)."""
    for key, value in changes.items():
        if key not in SURGERY:
            return f"no surgery for {key}={value!r} on a user's model (known: {', '.join(SURGERY)})"
        reason = SURGERY[key].blocker(patient, value)
        if reason:
            return f"{key}={value!r}: {reason}"
    return None


def operate(patient: Patient, changes: dict) -> Patient:
    """Apply ``changes`` to ``patient`` in :data:`SURGERY` order; the init runs once for both keys.

    Raises:
        ConfigError: a key that cannot be applied (see :func:`blocker`).
    """
    reason = blocker(patient, changes)
    if reason:
        raise ConfigError(reason)
    done: set[Callable] = set()
    for key, op in SURGERY.items():
        if key in changes and op.apply not in done:
            done.add(op.apply)
            op.apply(patient, changes[key], changes)
    return patient


def as_code(changes: dict, act: str | None, lr: float | None = None) -> str:
    """``changes`` as PyTorch lines to put into the user's source (``lr``: the run's rate now)."""
    lines: list[str] = []
    changes = {**changes, "_lr": lr} if lr is not None else changes
    done: set[Callable] = set()
    act_after = str(changes.get("model.act", act)) if changes.get("model.act", act) else None
    for key, op in SURGERY.items():
        if key in changes and op.code not in done:
            done.add(op.code)  # one init block for both init keys
            text = op.code(changes[key], changes, act_after)
            if text:
                lines.append(text)
    return "\n".join(lines)
