"""Runnable fixes, ranked for the context of a finding.

Every recommendation is ``{"set": {dotted.run.config.key: value}, "why": str}`` so a study can run
it as is (``gradlab.train.experiment.run_trial`` on the config with those keys set). The fixes are
the ones the seed articles and the literature give; the ranking reads the context: what the run
config says (activation, init, optimizer, learning rate) and what the evidence says (dead from
initialization or died during training, first layer or deep, ...).

The ``context`` dict a rule receives may hold ``"config"`` (a nested run config, see
``docs/contracts.md``) and/or flat dotted keys (``{"train.lr": 0.01, "model.act": "relu"}``), which
win over the nested config; :func:`lookup` reads both.
"""

from __future__ import annotations

import math
from typing import Any

from gradlab.components.activations import is_bounded
from gradlab.components.spec import parse_spec
from gradlab.errors import SpecError


def lookup(context: dict | None, key: str, default: Any = None) -> Any:
    """Read a dotted run-config key from ``context`` (flat keys first, then ``context["config"]``)."""
    if not context:
        return default
    if key in context:
        return context[key]
    node: Any = context.get("config")
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return default
        node = node[part]
    return node


def act_name(spec: Any) -> str | None:
    """The bare activation name of a spec (``"leaky_relu(0.2)"`` -> ``"leaky_relu"``)."""
    if spec is None:
        return None
    if not isinstance(spec, str):
        return getattr(spec, "__name__", type(spec).__name__).lower()
    try:
        return parse_spec(spec).name.lower()
    except SpecError:
        return spec.lower()


def rec(why: str, **settings: Any) -> dict:
    """One recommendation; keyword names use ``__`` for the dot: ``model__act="elu"``."""
    return {"set": {k.replace("__", "."): v for k, v in settings.items()}, "why": why}


def _round_lr(lr: float) -> float:
    """A learning rate rounded to one significant digit (0.0123 -> 0.01)."""
    if lr <= 0 or not math.isfinite(lr):
        return lr
    exp = math.floor(math.log10(lr))
    return round(round(lr / 10**exp) * 10**exp, 12)


def lr_times(context: dict | None, factor: float) -> float | None:
    """The run's learning rate times ``factor``, rounded; None when the context has no lr."""
    lr = lookup(context, "train.lr")
    if lr is None:
        lr = (context or {}).get("lr")
    if not isinstance(lr, (int, float)) or isinstance(lr, bool) or lr <= 0:
        return None
    return _round_lr(float(lr) * factor)


def slow_sgd(context: dict | None) -> bool:
    """True when the run uses plain SGD at lr <= 0.01: too slow to recover a broken start.

    Calibrated on the seed network 2-3-3-3-3-1 on moons: with He init and zero biases, plain SGD
    at lr 0.01 for 200 full-batch epochs stays near chance (0.43-0.67 dev accuracy over 3 seeds),
    Adam at the same lr reaches 0.86-0.95. A fix that restarts learning must also let it move.
    """
    opt = act_name(lookup(context, "train.optimizer"))
    lr = lookup(context, "train.lr")
    return opt == "sgd" and isinstance(lr, (int, float)) and lr <= 0.01


def init_for(act: str | None) -> str:
    """The init matched to an activation: Xavier for saturating ones, LeCun for SELU, else He."""
    if is_bounded(act):
        return "xavier_normal"  # Glorot & Bengio (2010): keeps variance for tanh/sigmoid
    if act == "selu":
        return "lecun_normal"  # Klambauer et al. (2017): SELU self-normalizes with LeCun init
    return "he_normal"  # He et al. (2015): variance-preserving for the ReLU family


def with_adam(recommendation: dict, context: dict | None) -> dict:
    """Add ``train.optimizer="adam"`` to a restart-the-network fix when plain SGD is too slow."""
    if slow_sgd(context):
        recommendation = {
            "set": {**recommendation["set"], "train.optimizer": "adam"},
            "why": recommendation["why"]
            + " Adam (Kingma & Ba, 2015) is added because plain SGD at this learning rate is too "
            "slow for a freshly restarted deep narrow net to learn within the run.",
        }
    return recommendation


def dedupe(recs: list[dict]) -> list[dict]:
    """Drop repeated settings, keeping the first (best-ranked) occurrence."""
    seen, out = set(), []
    for r in recs:
        key = tuple(sorted((k, repr(v)) for k, v in r["set"].items()))
        if key and key not in seen:
            seen.add(key)
            out.append(r)
    return out
