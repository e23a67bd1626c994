"""What the run is: optimizer, learning rate, schedule, clipping and the model's structure.

Recommendations are chosen and worded from this context (:mod:`gradlab.diagnose.fixes`): nothing
the run already does, a learning-rate change from the rate actually used, Transformer advice for
a Transformer. :func:`run_context` reads live objects (a torch optimizer, schedulers, the model
and the watch's layers) into flat dotted keys that :func:`gradlab.diagnose.recommend.lookup`
reads, the same keys as a gradlab run config::

    {"train.optimizer": "adamw", "train.lr": 1e-07, "train.betas": [0.9, 0.999],
     "train.weight_decay": 0.01, "train.warmup": False, "model.attention": True,
     "model.norm": "layer", "model.pre_norm": False, "model.residual": True, ...}
"""

from __future__ import annotations

from typing import Any

from torch import nn

_OPTIMIZER_NAMES = {"AdamW": "adamw", "Adam": "adam", "RMSprop": "rmsprop", "Adagrad": "adagrad",
                    "LBFGS": "lbfgs", "Adamax": "adamax", "NAdam": "nadam", "RAdam": "radam"}


def optimizer_name(optimizer: Any) -> str | None:
    """gradlab's name for a torch optimizer (``SGD`` with momentum reads ``"momentum"``)."""
    if optimizer is None:
        return None
    cls = type(optimizer).__name__
    if cls == "SGD":
        group = optimizer.param_groups[0] if getattr(optimizer, "param_groups", None) else {}
        if group.get("nesterov"):
            return "nesterov"
        return "momentum" if group.get("momentum", 0) else "sgd"
    return _OPTIMIZER_NAMES.get(cls, cls.lower())


def _optimizer_keys(optimizer: Any) -> dict:
    groups = getattr(optimizer, "param_groups", None)
    if not groups:
        return {}
    g = groups[0]
    out: dict[str, Any] = {"train.optimizer": optimizer_name(optimizer)}
    lr = g.get("initial_lr", g.get("lr"))  # schedulers keep the rate the user set as initial_lr
    if isinstance(lr, (int, float)):
        out["train.lr"] = float(lr)
    for key in ("betas", "weight_decay", "momentum", "eps"):
        if key in g and g[key] is not None:
            value = g[key]
            out[f"train.{key}"] = [float(v) for v in value] if isinstance(value, (tuple, list)) else value
    return out


def has_warmup(scheduler: Any) -> bool:
    """Whether a scheduler starts with a warm-up (LinearLR from below 1, a warm-up lambda, ...)."""
    name = type(scheduler).__name__.lower()
    if "warmup" in name:
        return True
    if name == "linearlr" and getattr(scheduler, "start_factor", 1.0) < 1.0:
        return True
    if name == "sequentiallr":
        return any(has_warmup(s) for s in getattr(scheduler, "_schedulers", [])[:1])
    for fn in getattr(scheduler, "lr_lambdas", []) or []:
        inner = getattr(fn, "func", fn)  # transformers' schedules are partials of named lambdas
        steps = (getattr(fn, "keywords", None) or {}).get("num_warmup_steps", 1)
        if "warmup" in getattr(inner, "__name__", "").lower() and steps:
            return True
    return False


def _structure(model: nn.Module, layers: Any) -> dict:
    modules = list(model.named_modules())
    names = [type(m).__name__ for _, m in modules]
    attention = [p for (p, m), n in zip(modules, names) if "Attention" in n or isinstance(m, nn.MultiheadAttention)]
    layer_norm = any(isinstance(m, nn.LayerNorm) or "LayerNorm" in n or "RMSNorm" in n
                     for (_, m), n in zip(modules, names))
    batch_norm = any(isinstance(m, nn.modules.batchnorm._BatchNorm) for _, m in modules)
    residual_words = ("residual", "resblock", "basicblock", "bottleneck", "shortcut")
    residual = bool(attention) or any(w in (p + n).lower() for (p, _), n in zip(modules, names) for w in residual_words)
    selu = any(isinstance(m, (nn.SELU, nn.AlphaDropout)) for _, m in modules)
    # layers that compute differently in eval mode, by what eval mode does to them (a model with
    # none trains the same either way): norms switch to running statistics, dropout switches off
    running = (nn.modules.batchnorm._BatchNorm, nn.modules.instancenorm._InstanceNorm)
    mode_layers = {
        "norm": sorted({n for (_, m), n in zip(modules, names)
                        if isinstance(m, running) and getattr(m, "track_running_stats", False)}),
        "dropout": sorted({n for (_, m), n in zip(modules, names) if isinstance(m, nn.modules.dropout._DropoutNd)}),
    }
    out: dict[str, Any] = {
        "model.attention": bool(attention),
        "model.norm": "batch" if batch_norm else ("layer" if layer_norm else None),
        "model.residual": residual,
        "model.selu": selu,
        "model.mode_layers": mode_layers,
        "model.depth": sum(1 for _, m in modules if isinstance(m, (nn.Linear, nn.modules.conv._ConvNd))),
    }
    if attention and layers is not None:
        out["model.pre_norm"] = _pre_norm(attention[0], layers)
    n_out = _n_outputs(model, layers)
    if n_out is not None:
        out["model.n_outputs"] = n_out
    return out


def _n_outputs(model: nn.Module, layers: Any) -> int | None:
    """Width of the last Linear layer to run (the number of classes of a classifier)."""
    if layers is not None:
        ran = sorted((x for x in layers if getattr(x, "kind", None) == "param"
                      and getattr(x, "order", None) is not None), key=lambda x: x.order)
        paths = [x.path for x in ran]
    else:
        paths = [p for p, _ in model.named_modules()]
    for path in reversed(paths):
        try:
            mod = model.get_submodule(path) if path not in ("", "(root)") else model
        except AttributeError:
            continue
        if isinstance(mod, nn.Linear):
            return int(mod.out_features)
    return None


def _pre_norm(attention_path: str, layers: Any) -> bool | None:
    """Whether the first Transformer block normalises before its attention (pre-LN, Xiong et al. 2020)."""
    block = attention_path.rsplit(".", 1)[0] if "." in attention_path else ""
    prefix = block + "." if block else ""
    inside = [x for x in layers if getattr(x, "kind", None) == "param" and getattr(x, "order", None) is not None
              and x.path.startswith(prefix)]
    if not inside:
        return None
    first = min(inside, key=lambda x: x.order)
    return "Norm" in first.module_type


def run_context(optimizer: Any = None, model: nn.Module | None = None, schedulers: Any = (),
                layers: Any = None, **settings: Any) -> dict:
    """The run context of a live run, as flat dotted keys (see the module docstring).

    Args:
        optimizer: the torch optimizer (a wrapper's inner one).
        model: the watched model.
        schedulers: learning-rate schedulers, if the caller knows them.
        layers: the watch's layers (forward order tells pre- from post-LayerNorm).
        **settings: what only the framework knows, as dotted keys with ``__``:
            ``train__clip_norm=1.0``, ``train__warmup=True``.

    Returns:
        A dict for ``diagnose(..., context=...)``; keys the run does not reveal are absent.
    """
    ctx: dict[str, Any] = {}
    if optimizer is not None:
        ctx.update(_optimizer_keys(optimizer))
    schedulers = [s for s in (schedulers or []) if s is not None]
    if schedulers:
        ctx["train.schedule"] = type(schedulers[0]).__name__
        ctx["train.warmup"] = any(has_warmup(s) for s in schedulers)
    elif optimizer is not None:
        ctx["train.warmup"] = False
    if model is not None:
        ctx.update(_structure(model, layers))
    for key, value in settings.items():
        if value is not None:
            ctx[key.replace("__", ".")] = value
    return ctx


__all__ = ["has_warmup", "optimizer_name", "run_context"]
