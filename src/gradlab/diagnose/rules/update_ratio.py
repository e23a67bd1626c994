"""``update_ratio``: updates far too small or too large relative to the weights they change.

The watch's ``update_ratio`` is |Δw| / |w| per optimizer step. A common rule of thumb (Karpathy,
CS231n) puts a healthy value around 1e-3: much smaller and the weights barely move, much larger and
each step rewrites them. Judged model-wide on the median over layers of each layer's median, so one
odd layer (a BatchNorm shift, an embedding) does not decide it.
"""

from __future__ import annotations

from gradlab.diagnose import fixes
from gradlab.diagnose.finding import Finding
from gradlab.diagnose.rules._view import View, info, median

CODE = "update_ratio"
CHECKUP = False

DEFAULTS = {
    # SageMaker Debugger's WeightUpdateRatio uses small_threshold 1e-8 and large_threshold 10;
    # the zoo's healthy runs sit between 1e-5 and 1e-1, a 1e-5 learning rate at ~1e-7.
    "small": 1e-6,
    "large": 0.5,
    "min_reports": 3,
}


def rule(vitals, layers, config: dict) -> list[Finding]:
    """One model-wide finding when the typical update is far off 1e-3."""
    view = View(vitals, layers)
    context = config.get("context") or {}
    per_layer = {}
    for layer in view.of_kind("param"):
        path = info(layer, "path")
        _, vals = view.finite_series(path, "update_ratio")
        # a layer that never moves gets no gradient at all: vanishing_gradient's business
        if len(vals) >= config["min_reports"] and median(vals) > 0:
            per_layer[path] = median(vals)
    if not per_layer:
        return []
    typical = median(list(per_layer.values()))
    if config["small"] <= typical <= config["large"]:
        return []
    direction = "small" if typical < config["small"] else "large"
    worst = (min if direction == "small" else max)(per_layer, key=lambda path: per_layer[path])
    evidence = {"update_ratio": typical, "direction": direction, "worst_layer": worst,
                "worst_ratio": per_layer[worst], "per_layer": per_layer}
    message = (f"A typical step changes the weights by {typical:.1e} of their size "
               + ("(about 1e-3 is healthy): they barely move." if direction == "small"
                  else "(about 1e-3 is healthy): every step rewrites them."))
    # the step: where the worst layer first crossed the threshold (a watch finding always has one)
    steps, vals = view.finite_series(worst, "update_ratio")
    off = [st for st, v in zip(steps, vals) if (v < config["small"] if direction == "small" else v > config["large"])]
    step = off[0] if off else steps[0]
    return [Finding(CODE, "warning", None, step, evidence, message, fixes.update_ratio(evidence, context))]
