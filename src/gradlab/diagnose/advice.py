"""Recommendations fitted to the run in front of us (:mod:`gradlab.diagnose.context`).

The rules rank their fixes from the evidence; this step then reads the run context and

* drops what the run already does (Adam for an AdamW run, clipping for a clipped run, BatchNorm
  where there is BatchNorm, the activation it already uses);
* for a Transformer (attention in the model), replaces CNN/MLP advice (BatchNorm, He init,
  another activation) with what helps there: warm-up, a lower learning rate, pre-LayerNorm
  (Xiong et al. 2020) and gradient clipping, each only when the run lacks it;
* words learning-rate changes from the rate used ("raise it, e.g. 1e-07 -> 0.0001");
* gives every recommendation its plain-PyTorch code and machine-readable actions
  (:mod:`gradlab.diagnose.code_fixes`).
"""

from __future__ import annotations

import math
from typing import Any

from gradlab.diagnose.code_fixes import complete
from gradlab.diagnose.recommend import act_name, lookup

# codes where a Transformer's trouble is the optimisation, not the layers' design
_TRANSFORMER_CODES = {"vanishing_gradient", "exploding_gradient", "non_finite", "loss_not_decreasing",
                      "oscillating_loss", "constant_prediction", "poor_init_scale", "update_ratio"}
# settings that are CNN/MLP advice and wrong for a Transformer's residual LayerNorm stack
_NOT_FOR_TRANSFORMERS = {"model.norm", "model.init", "model.act", "model.bias_init"}
_ADAPTIVE = {"adam", "adamw", "nadam", "radam", "adamax"}


def _already(key: str, value: Any, context: dict) -> bool:
    current = lookup(context, key)
    if current is None:
        return False
    if key == "train.optimizer":
        return value == "adam" and act_name(current) in _ADAPTIVE or act_name(value) == act_name(current)
    if key == "model.act":
        return act_name(value) == act_name(current)
    if key == "train.clip_norm":
        return isinstance(current, (int, float)) and current > 0 and current <= float(value)
    if key == "train.schedule":
        return str(value).startswith("warmup") and bool(lookup(context, "train.warmup"))
    return current == value


def _lr_word(rec: dict, context: dict) -> dict:
    new = rec.get("set", {}).get("train.lr")
    old = lookup(context, "train.lr")
    if not isinstance(new, (int, float)) or not isinstance(old, (int, float)) or old <= 0 or new == old:
        return rec
    verb = "raise" if new > old else "lower"
    return {**rec, "why": f"{rec['why']} ({verb} it, e.g. {old:g} -> {new:g})"}


def _transformer_recs(code: str, context: dict) -> list[dict]:
    recs = []
    lr = lookup(context, "train.lr")
    if not lookup(context, "train.warmup"):
        recs.append({"set": {"train.schedule": "warmup(steps=1000)"},
                     "why": "Adam's early steps on a Transformer are unreliable without warm-up: ramp the "
                            "learning rate up over the first ~1000 steps (Liu et al. 2020; Xiong et al. 2020)."})
    if isinstance(lr, (int, float)) and lr > 1e-4 and code != "update_ratio":
        recs.append({"set": {"train.lr": _round(lr / 10)},
                     "why": "A lower peak learning rate keeps a post-LayerNorm Transformer out of the "
                            "early stall (Xiong et al. 2020)."})
    if lookup(context, "model.pre_norm") is False:
        recs.append({"set": {}, "extra": {"model.pre_norm": True},
                     "why": "Pre-LayerNorm blocks (LayerNorm before attention and MLP) keep gradients "
                            "well-scaled at every depth and train without warm-up (Xiong et al. 2020)."})
    if not lookup(context, "train.clip_norm"):
        recs.append({"set": {"train.clip_norm": 1.0},
                     "why": "Clipping the global gradient norm at 1.0 bounds the occasional huge step "
                            "(Pascanu et al. 2013), standard for Transformers."})
    return recs


def _round(x: float) -> float:
    exp = math.floor(math.log10(x))
    return round(round(x / 10**exp) * 10**exp, 12)


def fit_recommendations(code: str, recs: list[dict], context: dict | None) -> list[dict]:
    """The recommendations of one finding, fitted to the run (see the module docstring)."""
    context = context or {}
    transformer = bool(lookup(context, "model.attention"))
    out = []
    if transformer and code in _TRANSFORMER_CODES:
        lr_recs = [r for r in recs if set(r.get("set", {})) == {"train.lr"}]
        recs = _transformer_recs(code, context) + (lr_recs if code == "update_ratio" else [])
    for rec in recs:
        settings = rec.get("set", {})
        if transformer and code in _TRANSFORMER_CODES and set(settings) & _NOT_FOR_TRANSFORMERS:
            continue
        if settings and all(_already(k, v, context) for k, v in settings.items()):
            continue  # the run already does this
        out.append(complete(_lr_word(rec, context), context))
    seen, unique = set(), []
    for rec in out:
        key = repr(sorted(rec.get("set", {}).items())) + repr(rec.get("actions"))
        if key not in seen:
            seen.add(key)
            unique.append(rec)
    return unique


def fit_findings(findings: list, context: dict | None) -> list:
    """Fit every finding's recommendations to the run, in place; returns ``findings``."""
    for f in findings:
        f.recommendations = fit_recommendations(f.code, list(f.recommendations), context)
    return findings


__all__ = ["fit_findings", "fit_recommendations"]
