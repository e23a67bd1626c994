"""The one line a repair ends with: why nothing was repaired, or what a kept fix leaves to do.

A repair that fails says why in one line: the recommendations none of which applies (the first
one and its reason), the closest candidate that was tried and what was still wrong with it, or
the findings that recommend nothing (their own first sentence). A kept fix that raises findings
the original did not have says so. A kept change that stands in for
a fix of the user's *data* or *loop* (NaN/Inf zeroed, inputs standardized at the model's input,
gradients reset by a hook) says that the real fix belongs in the data pipeline or the loop, which
its code shows.
"""

from __future__ import annotations

from gradlab.diagnose.finding import Finding
from gradlab.repair.candidates import Candidate
from gradlab.repair.verify import Outcome

# run-config keys whose surgery stands in for a change of the user's data
DATA_FIXES = {
    "task.nan_to_num": "the data holds NaN/Inf: clean it where it is loaded (the code shows how); "
                       "repair only zeroed them on the way into the model, a stop-gap",
    "task.normalize": "the inputs need standardizing in the data pipeline (the code shows how); "
                      "repair standardized them on the way into the model",
    "train.zero_grad": "the training loop never resets the gradients: add optimizer.zero_grad() to it "
                       "(the code shows where); repair reset them with a hook on the optimizer",
    "train.train_mode": "the training loop runs the model in eval mode: call model.train() in it (the code "
                        "shows where); repair switched to train mode with a hook on the model",
}


def data_caveat(changes: dict) -> str:
    """``"; <what the data needs>"`` for each data fix among ``changes`` ("" when none)."""
    return "".join(f"; {DATA_FIXES[k]}" for k in changes if k in DATA_FIXES)


def raised(after: Outcome, before: Outcome) -> str:
    """``"; but it raises <codes> ..."`` when the kept fix raises findings the original had not."""
    new = sorted(after.codes - before.codes)
    return f"; but it raises {', '.join(new)}: no fix without them was found within the budget" if new else ""


def _first_sentence(text: str) -> str:
    head, dot, _ = text.partition(". ")
    return head + ("" if head.endswith(".") else ".") if dot else text


def why_not(pool: list[Candidate], findings: list[Finding], targets: set[str], out_of_time: bool) -> str:
    """Why nothing was kept, in one line (``not repaired: ... [codes]``)."""
    codes = ", ".join(sorted(targets))
    tried = [c for c in pool if c.status in ("screened out", "rejected", "kept")]
    if not pool:
        first = next((f for f in findings if f.code in targets), None)
        why = "the findings recommend no change that can be made" + (
            f": {_first_sentence(first.message)}" if first is not None else "")
    elif not tried and all(c.status == "skipped" for c in pool):
        why = f"no recommendation applies to this setup (first: {pool[0].label}: {pool[0].reason})"
    elif not tried:
        waiting = next(c for c in pool if c.status != "skipped")
        why = f"the time budget ran out before the first candidate ({waiting.label}) could be tried"
        out_of_time = False  # said already
    else:
        # the closest: a candidate that cleared the findings but did not improve the metric enough
        close = [c for c in tried if c.reason.startswith("better on only")] or tried
        why = "no candidate removed the findings and improved the metric on every seed"
        if close:
            why += f" (closest: {close[0].label}: {close[0].reason})"
    if out_of_time:
        why += "; the time budget ran out"
    return f"not repaired: {why} [{codes}]"


__all__ = ["DATA_FIXES", "data_caveat", "raised", "why_not"]
