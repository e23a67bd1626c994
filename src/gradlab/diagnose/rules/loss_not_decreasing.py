"""``loss_not_decreasing``: a training loss that stays flat (and smooth) for the whole run.

The loss logged with ``w.log(loss=...)`` is compared between the first and the last ``window`` of
the run. A flat and smooth curve means the updates do not move the model (learning rate far too
small, symmetric or dead network); a flat but rough one is ``oscillating_loss``'s case.
"""

from __future__ import annotations

from gradlab.diagnose import fixes
from gradlab.diagnose.finding import Finding
from gradlab.diagnose.rules._loss import loss_shape
from gradlab.diagnose.rules._view import View

CODE = "loss_not_decreasing"
CHECKUP = False

DEFAULTS = {
    # SageMaker Debugger's LossNotDecreasing asks for a 0.1 % decrease every 10 steps, which a
    # noisy mini-batch loss misses all the time; over the whole run a healthy zoo net loses 20-99 %
    # of its loss, a 1e-5 learning rate ~0.1 %: 1 % separates them.
    "min_rel_decrease": 0.01,
    "window": 0.2,
    # fewer loss values than this: no verdict yet
    "min_points": 20,
    # a loss already this small has nothing left to lose
    "abs_floor": 1e-4,
    # rougher than this (mean |change| / level in the second half): oscillating, not flat
    "max_roughness": 0.05,
}


def rule(vitals, layers, config: dict) -> list[Finding]:
    """One model-wide finding when the loss did not go down."""
    view = View(vitals, layers)
    context = config.get("context") or {}
    shape = loss_shape(view, config["window"], config["min_points"])
    if shape is None or shape.tail <= config["abs_floor"]:
        return []
    if shape.rel_decrease >= config["min_rel_decrease"] or shape.roughness > config["max_roughness"]:
        return []
    evidence = {"loss_first": shape.head, "loss_last": shape.tail, "rel_decrease": shape.rel_decrease,
                "n_points": len(shape.values)}
    message = (f"The loss went from {shape.head:.4g} to {shape.tail:.4g} ({shape.rel_decrease:.1%}): "
               "training is not making progress.")
    return [Finding(CODE, "warning", None, shape.steps[0], evidence, message,
                    fixes.loss_not_decreasing(evidence, context))]
