"""Every recommendation in plain PyTorch, and in a form a program can apply.

A recommendation's ``set`` holds gradlab run-config keys (what a study runs). Users of their own
training code need the same fix as code, and the repair machinery needs it as data; both are
derived here from the keys, in one table, so the forms never disagree::

    {"set": {"train.clip_norm": 1.0},
     "code": "torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)  # after backward(), before step()",
     "actions": [{"op": "clip_grad_norm", "max_norm": 1.0}], "why": "..."}

The code is what :mod:`gradlab.repair.surgery` does to a built (model, optimizer) for each action
(``tests/repair/test_code_fixes.py`` runs both and compares). Keys that only make sense for the
user's own code (``model.pre_norm``: move a Transformer's LayerNorm before its sublayers;
``task.nan_to_num``: the data holds NaN/Inf; ``train.zero_grad``: the loop never resets the
gradients; ``train.train_mode``: it trains in eval mode) travel in a recommendation's ``extra``, not ``set``.
The run ``context`` (the activation, learning rate and weight decay it uses now) makes the code
concrete: the gain of the activation the init is for, the learning rate on the optimizer's line.
"""

from __future__ import annotations

from typing import Any

from gradlab.components.spec import parse_spec
from gradlab.diagnose.init_code import init_code
from gradlab.diagnose.recommend import lookup
from gradlab.errors import SpecError

_STEP = "\n# scheduler.step() after every optimizer.step()"

NAN_TO_NUM_CODE = (
    "# the data holds NaN/Inf: the real fix is to clean it where it is loaded. A stop-gap (what\n"
    "# gradlab.repair's hook on the model's input does): zero them in your data loader:\n"
    "x = torch.nan_to_num(x, nan=0.0, posinf=0.0, neginf=0.0)\n"
    "# better, drop the broken rows: keep = torch.isfinite(x).flatten(1).all(dim=1); x, y = x[keep], y[keep]")


def _spec(value: Any) -> tuple[str, tuple, dict]:
    try:
        s = parse_spec(str(value))
        return s.name, tuple(s.args), dict(s.kwargs)
    except SpecError:
        return str(value), (), {}


def _activation_code(value: Any) -> str:
    from gradlab.components.activations import ACTIVATIONS

    name, args, kwargs = _spec(value)
    try:
        cls = ACTIVATIONS.get(name)
    except Exception:  # noqa: BLE001 - an unknown name still gets a readable line
        return f"gradlab.create_activation({value!r})"
    if not cls.__module__.startswith("torch."):
        return f"gradlab.create_activation({value!r})"
    text = ", ".join([repr(v) for v in args] + [f"{k}={v!r}" for k, v in kwargs.items()])
    return f"nn.{cls.__name__}({text})"


def _optimizer_code(value: Any, lr: Any, weight_decay: float) -> str:
    """``optimizer = torch.optim.X(model.parameters(), lr=..., <what gradlab's spec sets>)``.

    The arguments are read off the optimizer gradlab builds for ``value`` (the options in which it
    differs from the class's own defaults), so the line is what repair's surgery builds.
    """
    import torch

    from gradlab.components.optim import create_optimizer

    lr_text = f"{lr:g}" if isinstance(lr, (int, float)) else "lr"
    try:
        p = [torch.nn.Parameter(torch.zeros(1))]
        built = create_optimizer(value, [{"params": p}], lr=1e-3, weight_decay=weight_decay)
        plain = type(built)(p).defaults  # type: ignore[call-arg]  # a concrete class: its own defaults
    except Exception:  # noqa: BLE001 - a spec gradlab cannot build still gets a line
        return f"optimizer = gradlab.create_optimizer({value!r}, model.parameters(), lr={lr_text})"
    extra = "".join(f", {k}={v!r}" for k, v in built.defaults.items() if k != "lr" and plain.get(k) != v)
    return f"optimizer = torch.optim.{type(built).__name__}(model.parameters(), lr={lr_text}{extra})"


def _schedule(value: Any, total: Any) -> tuple[str, dict]:
    name, args, kw = _spec(value)
    if name == "warmup" and not set(kw) - {"steps"} and len(args) <= 1:
        steps = int(kw.get("steps", args[0] if args else 100))
        # gradlab's warmup: lr * (t + 1) / steps for t < steps, then constant
        return (f"scheduler = torch.optim.lr_scheduler.LinearLR(optimizer, start_factor=1 / {steps}, "
                f"total_iters={max(steps - 1, 1)})" + _STEP, {"op": "warmup", "steps": steps, "spec": value})
    total_text = str(total) if isinstance(total, int) else "total_steps"
    if name == "cosine" and not args and not kw:
        return (f"scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max={total_text})" + _STEP,
                {"op": "schedule", "name": "cosine", "spec": value})
    return (f"scheduler = gradlab.create_schedule({str(value)!r}, optimizer, total_steps={total_text}, "
            "steps_per_epoch=1)" + _STEP, {"op": "schedule", "name": name, "spec": value})


def _one(key: str, value: Any, settings: dict, context: dict | None) -> tuple[str | None, dict | None]:
    """The code line(s) and the action of one setting (None where another key covers it)."""
    if key == "model.act":
        return (f"# replace every hidden activation (modules, and F.x calls in forward) with "
                f"{_activation_code(value)}", {"op": "replace_activation", "spec": value})
    if key in ("model.init", "model.bias_init"):
        if key == "model.bias_init" and "model.init" in settings:
            return None, None
        weight, bias = settings.get("model.init", "default"), settings.get("model.bias_init", "default")
        act = settings.get("model.act", lookup(context, "model.act"))
        op = "init" if key == "model.init" else "init_bias"
        return init_code(weight, bias, act), {"op": op, "scheme": weight, "bias": bias}
    if key == "model.norm":
        kind = {"batch": "nn.BatchNorm1d(features)", "layer": "nn.LayerNorm(features)"}.get(value, repr(value))
        return (f"# insert {kind} between each Linear and its activation (BatchNorm2d after a Conv2d)",
                {"op": "insert_norm", "kind": value})
    if key == "model.pre_norm":
        return ("# in each block: x = x + attn(ln1(x)); x = x + mlp(ln2(x))  (LayerNorm before each sublayer)",
                {"op": "pre_layer_norm"})
    if key == "train.lr":
        if "train.optimizer" in settings:
            return None, {"op": "set_lr", "value": value}  # the optimizer's line carries it
        return (f"for g in optimizer.param_groups:\n    g['lr'] = {value:g}", {"op": "set_lr", "value": value})
    if key == "train.optimizer":
        lr = settings.get("train.lr", lookup(context, "train.lr"))
        decay = lookup(context, "train.weight_decay") or 0.0
        return _optimizer_code(value, lr, float(decay)), {"op": "optimizer", "name": value}
    if key == "train.clip_norm":
        return (f"torch.nn.utils.clip_grad_norm_(model.parameters(), {value})  # after backward(), before step()",
                {"op": "clip_grad_norm", "max_norm": value})
    if key == "train.schedule":
        return _schedule(value, lookup(context, "train.total_steps"))
    if key == "task.normalize":
        return ("x = (x - x_train.mean(0)) / x_train.std(0)  # standardize inputs with training statistics",
                {"op": "normalize_inputs"})
    if key == "task.nan_to_num":
        return NAN_TO_NUM_CODE, {"op": "sanitize_inputs"}
    if key == "train.train_mode":
        return ("model.train()  # before the training loop, and again after every validation pass",
                {"op": "train_mode"})
    if key == "train.zero_grad":
        return ("optimizer.zero_grad()  # once per step, before loss.backward() (with gradient accumulation: "
                "after optimizer.step())", {"op": "zero_grad"})
    return f"# set {key} = {value!r}", {"op": "set", "key": key, "value": value}


def code_and_actions(settings: dict, context: dict | None = None) -> tuple[str, list[dict]]:
    """Plain PyTorch for a recommendation's settings, and its actions (one per setting).

    Args:
        settings: run-config keys and values (a recommendation's ``set`` and ``extra``).
        context: the run as it is now (flat dotted keys or ``{"config": ...}``): ``model.act``
            for the init's gain, ``train.lr`` and ``train.weight_decay`` for the optimizer's
            line, ``train.total_steps`` for a schedule's length.
    """
    lines, actions = [], []
    for key, value in settings.items():
        code, action = _one(key, value, settings, context)
        if code:
            lines.append(code)
        if action:
            actions.append(action)
    return "\n".join(lines), actions


def complete(recommendation: dict, context: dict | None = None) -> dict:
    """``recommendation`` with its ``code`` and ``actions`` (kept when already there)."""
    settings = {**recommendation.get("set", {}), **recommendation.get("extra", {})}
    code, actions = code_and_actions(settings, context)
    out = dict(recommendation)
    out.setdefault("code", code)
    out.setdefault("actions", actions)
    return out


__all__ = ["NAN_TO_NUM_CODE", "code_and_actions", "complete"]
