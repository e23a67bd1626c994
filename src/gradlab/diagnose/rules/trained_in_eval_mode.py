"""``trained_in_eval_mode``: the optimizer steps while the model is in eval mode.

A loop that calls ``model.eval()`` for validation and never calls ``model.train()`` again trains
in eval mode: Dropout does nothing and BatchNorm normalises with running statistics that it no
longer updates (Ioffe & Szegedy, 2015: the batch statistics are what makes training stable). The
watch counts the steps whose forwards with gradients all ran in eval mode
(:mod:`gradlab.watch.loop_checks`, ``trained_in_eval``). Which layers are affected comes from the
model's structure (``model.mode_layers`` in the run context): a model with none of them trains
the same either way, and then the finding is only a note that its activation vitals (recorded in
train mode only) are missing.
"""

from __future__ import annotations

from gradlab.diagnose import fixes
from gradlab.diagnose.finding import Finding
from gradlab.diagnose.recommend import lookup
from gradlab.diagnose.rules._view import View, held_share

CODE = "trained_in_eval_mode"
CHECKUP = False

DEFAULTS = {
    "min_share": 0.5,  # share of the checked steps trained in eval mode
    "min_reports": 2,
}


def rule(vitals, layers, config: dict) -> list[Finding]:
    """One model-wide finding when most steps trained in eval mode."""
    held = held_share(View(vitals, layers), "trained_in_eval", config)
    if held is None:
        return []
    share, first = held
    context = config.get("context") or {}
    mode_layers = lookup(context, "model.mode_layers") or {}
    norms, dropouts = list(mode_layers.get("norm", [])), list(mode_layers.get("dropout", []))
    evidence = {"eval_share": share, "first_step": first, "mode_layers": norms + dropouts}
    head = (f"The model was in eval mode on {share:.0%} of the training steps (first seen in the report of "
            f"step {first})")
    effects = ([f"{', '.join(norms)} normalised with running statistics it no longer updates"] if norms else []) + (
        [f"{', '.join(dropouts)} was off"] if dropouts else [])
    if effects:
        message = (f"{head}: {' and '.join(effects)}. Call model.train() before training (and again after each "
                   "validation).")
        severity = "warning"
    else:
        message = (f"{head}. Nothing in this model depends on the mode, so training is the same, but the "
                   "watch records activation vitals only in train mode: call model.train() to see them.")
        severity = "info"
    return [Finding(CODE, severity, None, first, evidence, message, fixes.trained_in_eval_mode(evidence, context))]
