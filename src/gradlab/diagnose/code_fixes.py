"""Every recommendation in plain PyTorch, and in a form a program can apply.

A recommendation's ``set`` holds gradlab run-config keys (what a study runs). Users of their own
training code need the same fix as code, and the repair machinery needs it as data; both are
derived here from the keys, in one table, so the three forms never disagree::

    {"set": {"train.clip_norm": 1.0},
     "code": "torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)  # after backward(), before step()",
     "actions": [{"op": "clip_grad_norm", "max_norm": 1.0}], "why": "..."}

Keys that only make sense for the user's own code (``model.pre_norm``: move a Transformer's
LayerNorm before its sublayers) are actions without a config key.
"""

from __future__ import annotations

from typing import Any

from gradlab.components.spec import parse_spec
from gradlab.errors import SpecError

# init scheme -> (nn.init call on m.weight, the activation's name for the gain when it has one)
_INIT_CODE = {
    "he_normal": 'nn.init.kaiming_normal_(m.weight, nonlinearity="relu")',
    "he_uniform": 'nn.init.kaiming_uniform_(m.weight, nonlinearity="relu")',
    "xavier_normal": "nn.init.xavier_normal_(m.weight)",
    "xavier_uniform": "nn.init.xavier_uniform_(m.weight)",
    # LeCun: variance 1/fan_in (Klambauer et al. 2017 for SELU)
    "lecun_normal": 'nn.init.kaiming_normal_(m.weight, nonlinearity="linear")',
    "lecun_uniform": 'nn.init.kaiming_uniform_(m.weight, nonlinearity="linear")',
    "orthogonal": "nn.init.orthogonal_(m.weight)",
    "default": "m.reset_parameters()",
}

_OPTIMIZER_CODE = {"adam": "torch.optim.Adam", "adamw": "torch.optim.AdamW", "sgd": "torch.optim.SGD",
                   "momentum": "torch.optim.SGD", "rmsprop": "torch.optim.RMSprop"}


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
        module = "nn" if cls.__module__.startswith("torch.") else "gradlab.create_activation"
    except Exception:  # noqa: BLE001 - an unknown name still gets a readable line
        return f"gradlab.create_activation({value!r})"
    if module != "nn":
        return f"gradlab.create_activation({value!r})"
    text = ", ".join([repr(v) for v in args] + [f"{k}={v!r}" for k, v in kwargs.items()])
    return f"nn.{cls.__name__}({text})"


def _one(key: str, value: Any, settings: dict) -> tuple[str | None, dict | None]:
    """The code line(s) and the action of one setting (None where another key covers it)."""
    if key == "model.act":
        code = _activation_code(value)
        return (f"# replace every activation module with {code}", {"op": "replace_activation", "spec": value})
    if key == "model.init":
        call = _INIT_CODE.get(_spec(value)[0], f"gradlab.apply_init(m, {value!r})")
        bias = settings.get("model.bias_init")
        lines = ["for m in model.modules():", "    if isinstance(m, (nn.Linear, nn.Conv1d, nn.Conv2d)):",
                 f"        {call}"]
        if bias == "zeros":
            lines += ["        if m.bias is not None:", "            nn.init.zeros_(m.bias)"]
        return "\n".join(lines), {"op": "init", "scheme": value, "bias": bias}
    if key == "model.bias_init":
        if "model.init" in settings:
            return None, None
        code = "for m in model.modules():\n    if getattr(m, 'bias', None) is not None:\n        nn.init.zeros_(m.bias)"
        return code, {"op": "init_bias", "scheme": value}
    if key == "model.norm":
        kind = {"batch": "nn.BatchNorm1d(features)", "layer": "nn.LayerNorm(features)"}.get(value, repr(value))
        return f"# insert {kind} between each Linear and its activation", {"op": "insert_norm", "kind": value}
    if key == "model.pre_norm":
        return ("# in each block: x = x + attn(ln1(x)); x = x + mlp(ln2(x))  (LayerNorm before each sublayer)",
                {"op": "pre_layer_norm"})
    if key == "train.lr":
        return (f"for g in optimizer.param_groups:\n    g['lr'] = {value:g}", {"op": "set_lr", "value": value})
    if key == "train.optimizer":
        cls = _OPTIMIZER_CODE.get(_spec(value)[0], f"torch.optim.{value}")
        extra = ", momentum=0.9" if value == "momentum" else ""
        return (f"optimizer = {cls}(model.parameters(), lr=lr{extra})", {"op": "optimizer", "name": value})
    if key == "train.clip_norm":
        return (f"torch.nn.utils.clip_grad_norm_(model.parameters(), {value})  # after backward(), before step()",
                {"op": "clip_grad_norm", "max_norm": value})
    if key == "train.schedule":
        name, _, kw = _spec(value)
        if name == "warmup":
            steps = kw.get("steps", 100)
            return (f"scheduler = torch.optim.lr_scheduler.LinearLR(optimizer, start_factor=0.01, total_iters={steps})"
                    "\n# scheduler.step() after every optimizer.step()", {"op": "warmup", "steps": steps})
        if name == "cosine":
            return ("scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=total_steps)"
                    "\n# scheduler.step() after every optimizer.step()", {"op": "schedule", "name": "cosine"})
        return f"# learning-rate schedule: {value}", {"op": "schedule", "name": value}
    if key == "task.normalize":
        return ("x = (x - x_train.mean(0)) / x_train.std(0)  # standardize inputs with training statistics",
                {"op": "normalize_inputs"})
    return f"# set {key} = {value!r}", {"op": "set", "key": key, "value": value}


def code_and_actions(settings: dict) -> tuple[str, list[dict]]:
    """Plain PyTorch for a recommendation's settings, and its actions (one per setting)."""
    lines, actions = [], []
    for key, value in settings.items():
        code, action = _one(key, value, settings)
        if code:
            lines.append(code)
        if action:
            actions.append(action)
    return "\n".join(lines), actions


def complete(recommendation: dict) -> dict:
    """``recommendation`` with its ``code`` and ``actions`` (kept when already there)."""
    settings = {**recommendation.get("set", {}), **recommendation.get("extra", {})}
    code, actions = code_and_actions(settings)
    out = dict(recommendation)
    out.setdefault("code", code)
    out.setdefault("actions", actions)
    return out


__all__ = ["code_and_actions", "complete"]
