"""``symmetric_weights``: rows of a weight matrix that are identical, so their units are clones.

Seed 002 initializes every weight and bias to 0: every hidden unit computes the same value, gets the
same gradient and stays identical forever, and the network learns nothing (50 % accuracy). The
watch's ``row_symmetry`` is 0 when all rows are identical and about 1 for random rows; it is
undefined (NaN, skipped here) for a single row.

Two kinds of layer are skipped: the output layer (its rows are told apart by their different
targets, so even a zero init there breaks symmetry after one step, and a single-row output reads 0)
and normalization layers (a 1-D scale of ones is supposed to be constant).
"""

from __future__ import annotations

from gradlab.diagnose import fixes
from gradlab.diagnose.finding import Finding
from gradlab.diagnose.rules._view import View, info

CODE = "symmetric_weights"
CHECKUP = True

DEFAULTS = {
    # identical up to float rounding; random rows read ~1, so anything this small is a clone.
    # Neither SageMaker Debugger nor AutoTrainer has this rule; chosen from the zoo's gap (zero
    # and constant inits read exactly 0, every random init reads > 0.3).
    "max_symmetry": 1e-3,
}


def rule(vitals, layers, config: dict) -> list[Finding]:
    """One finding per parametric layer whose rows are (still) identical."""
    view = View(vitals, layers)
    context = config.get("context") or {}
    checkup = context.get("phase") == "checkup"
    findings = []
    params = view.of_kind("param")
    for layer in params[:-1]:
        path = info(layer, "path")
        if "norm" in str(info(layer, "module_type") or "").lower():
            continue
        steps, vals = view.finite_series(path, "row_symmetry")
        if not vals:
            continue
        held = [v <= config["max_symmetry"] for v in vals]
        if not held[0] and not held[-1]:
            continue
        # still identical at the end: gradient descent never breaks an exact tie, so it is fatal
        severity = "error" if held[-1] else "warning"
        evidence = {"row_symmetry": vals[-1], "row_symmetry_first": vals[0],
                    "persist": sum(held) / len(held), "act": view.main_act()}
        if held[-1]:
            message = (f"All rows of {path}'s weight are identical: its units compute and learn "
                       "the same thing, so the layer acts like a single unit.")
        else:
            message = (f"The rows of {path}'s weight started identical; they drifted apart, but the "
                       "start wasted capacity.")
        step = None if checkup else steps[held.index(True)]
        findings.append(Finding(CODE, severity, path, step, evidence, message,
                                fixes.symmetric_weights(evidence, context)))
    return findings
