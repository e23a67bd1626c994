"""``poor_init_scale``: activations whose spread collapses or blows up with depth at initialization.

Glorot & Bengio (2010), retold in seed 004: with a poor init the variance of the activations shrinks
(or grows) layer after layer, the deep layers see almost constant (or huge) inputs and gradients
vanish or explode. The rule reads the first report's ``pre_std`` (the spread of each activation's
input) in forward order and compares the deepest hidden activation with the first one.
"""

from __future__ import annotations

import math

from gradlab.diagnose import fixes
from gradlab.diagnose.finding import Finding
from gradlab.diagnose.rules._view import View, info

CODE = "poor_init_scale"
CHECKUP = True

DEFAULTS = {
    # SageMaker Debugger's PoorWeightInitialization fires at a max/min variance ratio of 10 across
    # layers, which PyTorch's own default init exceeds in a 3-layer ReLU MLP (variance x1/6 per
    # layer). Zoo: healthy nets stay within 0.1-10 in std; the seed's N(0, 0.01) net reads 1e-6.
    "collapse": 1e-2,
    "blowup": 1e2,
    # fewer hidden activation sites than this: no depth to speak of
    "min_sites": 3,
}


def rule(vitals, layers, config: dict) -> list[Finding]:
    """At most one model-wide finding, from the first report of each hidden activation."""
    view = View(vitals, layers)
    context = config.get("context") or {}
    checkup = context.get("phase") == "checkup"
    sites = [s for s in view.of_kind("activation") if not view.is_terminal(s)]
    first = []
    for site in sites:
        steps, vals = view.finite_series(info(site, "path"), "pre_std")
        if steps:
            first.append((site, steps[0], vals[0]))
    if len(first) < config["min_sites"]:
        return []
    (s0, step, std0), (s1, _, std1) = first[0], first[-1]
    if not std0 > 0 or not math.isfinite(std0):
        return []  # a constant first layer is symmetric_weights' business
    ratio = std1 / std0
    if config["collapse"] <= ratio <= config["blowup"]:
        return []
    trend = "collapses" if ratio < config["collapse"] else "blows up"
    evidence = {"ratio": ratio, "pre_std_first": std0, "pre_std_last": std1,
                "first_site": info(s0, "path"), "last_site": info(s1, "path"),
                "profile": [v for _, _, v in first], "act": view.main_act()}
    message = (f"At initialization the spread of the activations {trend} with depth: the input of "
               f"{info(s1, 'path')} varies {ratio:.1e} times as much as that of {info(s0, 'path')}.")
    return [Finding(CODE, "warning", None, None if checkup else step, evidence, message,
                    fixes.poor_init_scale(evidence, context))]
