"""``gradients_not_reset``: the gradients are never reset between steps (no ``zero_grad()``).

A training loop without ``optimizer.zero_grad()`` adds every backward pass into the same
``param.grad``: step ``t`` follows the sum of all ``t`` gradients so far, so the updates grow
with the run and keep the direction of its first batches. It is one of the commonest bugs in
hand-written loops and nothing in one step's vitals shows it; the watch checks it directly on
the tensors (:mod:`gradlab.watch.grad_reset`) and reports ``grad_not_reset``, the share of a
window's steps whose gradient had not been reset since the previous step.
"""

from __future__ import annotations

from gradlab.diagnose import fixes
from gradlab.diagnose.finding import Finding
from gradlab.diagnose.rules._view import View, held_share

CODE = "gradients_not_reset"
CHECKUP = False

DEFAULTS = {
    # share of the checked steps that used a stale gradient: a loop that forgets zero_grad()
    # forgets it on every step after the first; one that resets reads 0 on every report
    "min_share": 0.5,
    "min_reports": 2,
}


def rule(vitals, layers, config: dict) -> list[Finding]:
    """One model-wide error when most steps ran on gradients that were never reset."""
    held = held_share(View(vitals, layers), "grad_not_reset", config)
    if held is None:
        return []
    share, first = held
    evidence = {"stale_share": share, "first_step": first}
    message = (f"The gradients are never reset between optimizer steps ({share:.0%} of the steps; first seen in "
               f"the report of step {first}): each backward pass adds to all the earlier ones, so every "
               "update follows the sum of the run's gradients. Call optimizer.zero_grad() once per step, "
               "before loss.backward().")
    return [Finding(CODE, "error", None, first, evidence, message, fixes.gradients_not_reset(evidence, None))]
