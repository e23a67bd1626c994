"""``constant_prediction``: the loss settles at the loss of predicting a constant.

A classifier over ``K`` outputs that predicts the uniform distribution has cross-entropy
``ln K`` (``ln 2`` for one logit with a binary loss), whatever its input. A run whose loss
comes down to that value and sits there learned only the label prior: the classic early stall of a
post-LayerNorm Transformer trained without warm-up (Xiong et al. 2020; Liu et al. 2020), or of a
net whose signal died. ``K`` is the width of the model's last Linear layer, read into the run
context (``model.n_outputs``).
"""

from __future__ import annotations

import math

from gradlab.diagnose import fixes
from gradlab.diagnose.finding import Finding
from gradlab.diagnose.recommend import lookup
from gradlab.diagnose.rules._view import View, median

CODE = "constant_prediction"
CHECKUP = False

DEFAULTS = {
    # the second half of the run sits within this relative distance of ln K ...
    "rel_tol": 0.03,
    # ... and never dips further below it than this share (a model that learns goes well below)
    "min_below": 0.05,
    "min_points": 20,
}


def rule(vitals, layers, config: dict) -> list[Finding]:
    """One model-wide finding when the loss stalls at the constant-prediction loss."""
    view = View(vitals, layers)
    context = config.get("context") or {}
    k = lookup(context, "model.n_outputs")
    if not isinstance(k, int) or k < 1:
        return []
    level = math.log(k) if k > 1 else math.log(2.0)
    steps, values = view.finite_series("", "loss")
    if len(values) < config["min_points"]:
        return []
    half = len(values) // 2
    tail = values[half:]
    head = values[: max(2, len(values) // 10)]
    if max(head) < (1 + 2 * config["rel_tol"]) * level:
        return []  # it never came down to the level: a loss that never moved is loss_not_decreasing's
    mid = median(tail)
    if abs(mid - level) > config["rel_tol"] * level or min(tail) < (1 - config["min_below"]) * level:
        return []
    evidence = {"loss_tail": mid, "constant_loss": level, "n_outputs": k, "since_step": steps[half]}
    message = (f"The loss sits at {mid:.4g}, the loss of predicting a constant over {k} outputs "
               f"(ln {k if k > 1 else 2} = {level:.4g}): the model has learned only the label prior.")
    return [Finding(CODE, "warning", None, steps[half], evidence, message,
                    fixes.constant_prediction(evidence, context))]
