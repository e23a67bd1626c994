"""``oscillating_loss``: a loss that bounces up and down without making progress.

AutoTrainer calls it "oscillating loss" and blames a learning rate too large for the curvature. A
mini-batch loss is always noisy, so noise alone is not enough: the rule asks for a rough second
half (large step-to-step changes that flip sign often) *and* no progress from head to tail.
"""

from __future__ import annotations

from gradlab.diagnose import fixes
from gradlab.diagnose.finding import Finding
from gradlab.diagnose.rules._loss import loss_shape
from gradlab.diagnose.rules._view import View

CODE = "oscillating_loss"
CHECKUP = False

DEFAULTS = {
    # AutoTrainer's oscillation check looks at the amplitude of the accuracy swings; here on the
    # loss: mean |change| of at least 10 % of the loss level, signs flipping on 30 % of the steps
    "min_roughness": 0.1,
    "min_flips": 0.3,
    # "no progress": the tail is not at least this much below the head
    "min_rel_decrease": 0.05,
    "window": 0.2,
    "min_points": 20,
}


def rule(vitals, layers, config: dict) -> list[Finding]:
    """One model-wide finding when the loss bounces without progress."""
    view = View(vitals, layers)
    context = config.get("context") or {}
    shape = loss_shape(view, config["window"], config["min_points"])
    if shape is None:
        return []
    if (shape.roughness < config["min_roughness"] or shape.flips < config["min_flips"]
            or shape.rel_decrease >= config["min_rel_decrease"]):
        return []
    evidence = {"roughness": shape.roughness, "flips": shape.flips, "rel_decrease": shape.rel_decrease,
                "loss_first": shape.head, "loss_last": shape.tail}
    message = (f"The loss swings by {shape.roughness:.0%} of its level from step to step and ends "
               f"where it started ({shape.head:.4g} -> {shape.tail:.4g}): the steps overshoot.")
    return [Finding(CODE, "warning", None, shape.steps[0], evidence, message,
                    fixes.oscillating_loss(evidence, context))]
