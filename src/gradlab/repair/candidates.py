"""Candidates: the findings' ranked recommendations, in the order worth trying.

The original run's findings at warning or error (over every seed) are ordered: updates far too
large for the weights first (the step size causes what follows), then layer-level causes before
loss-level symptoms (:data:`SYMPTOMS`), errors first, then by how many seeds raised them, then by
the finding's own order; each finding's recommendations keep their rank. Repeated settings are
tried once. The run context that ranks the recommendations (optimizer, learning rate,
activation) is read off the user's optimizer and the layers the watch saw, since a user's loop
has no run config.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import torch

from gradlab.diagnose.finding import Finding, severity_rank

# codes that describe the loss or the step, not a layer: symptoms whose fixes (a learning rate, an
# optimizer) are tried after the fixes of the layer-level causes found in the same run (updates
# that are far too large come first instead: see _rank). Among them the update ratio comes first:
# its learning rate is sized from the measured ratio, the others' are blind tenfold steps.
SYMPTOMS = ("update_ratio", "loss_not_decreasing", "oscillating_loss")

# torch optimizer class -> gradlab's optimizer name (SGD with momentum is "momentum")
_OPT_NAMES = {"SGD": "sgd", "Adam": "adam", "AdamW": "adamw", "RMSprop": "rmsprop", "Adagrad": "adagrad",
              "Adamax": "adamax", "NAdam": "nadam"}


@dataclass
class Candidate:
    """One set of changes to try.

    Attributes:
        changes: run-config keys and values (``{"model.act": "leaky_relu(0.1)"}``).
        why: the recommendation's reason.
        source: the finding code it answers.
        status: ``"untried"``, ``"skipped"``, ``"screened out"``, ``"rejected"`` or ``"kept"``.
        reason: why it got that status.
        screen: its metric on the screening seed (None when not screened).
    """

    changes: dict
    why: str = ""
    source: str = ""
    status: str = "untried"
    reason: str = ""
    screen: float | None = None
    steps: int = 0  # for a learning-rate candidate: the tenfold steps taken beyond the recommended one

    @property
    def label(self) -> str:
        """``model.act=leaky_relu(0.1), train.lr=0.01``."""
        return ", ".join(f"{k}={v}" for k, v in self.changes.items())


def optimizer_name(opt: torch.optim.Optimizer) -> str:
    """gradlab's name for a torch optimizer (``"momentum"`` for SGD with momentum)."""
    name = _OPT_NAMES.get(type(opt).__name__, type(opt).__name__.lower())
    if name == "sgd" and opt.param_groups[0].get("momentum", 0):
        return "momentum"
    return name


def run_context(opt: torch.optim.Optimizer, layers: list[Any]) -> dict:
    """The flat run context the rules rank recommendations for: optimizer, lr, activation."""
    acts = Counter(layer.act for layer in layers if getattr(layer, "kind", None) == "activation" and layer.act)
    ctx: dict[str, Any] = {"train.optimizer": optimizer_name(opt), "train.lr": float(opt.param_groups[0]["lr"])}
    if acts:
        ctx["model.act"] = acts.most_common(1)[0][0]
    return ctx


def _rank(f: Finding) -> int:
    """-1: updates that rewrite the weights every step (the step size is the cause, the dead or
    saturated units it leaves are its effects); 0: layer-level causes; then the symptoms."""
    if f.code == "update_ratio" and (f.evidence or {}).get("direction") == "large":
        return -1
    return SYMPTOMS.index(f.code) + 1 if f.code in SYMPTOMS else 0


def serious(findings: list[Finding]) -> list[Finding]:
    """The findings worth repairing: warning or error."""
    return [f for f in findings if severity_rank(f.severity) >= 1]


def candidates(findings_by_seed: dict[int, list[Finding]], limit: int = 12) -> list[Candidate]:
    """The ranked, de-duplicated candidates from the findings of every seed of the original run."""
    seen_in = Counter(f.code for fs in findings_by_seed.values() for f in {x.code: x for x in serious(fs)}.values())
    first: dict[str, tuple[int, Finding]] = {}
    for fs in findings_by_seed.values():
        for i, f in enumerate(serious(fs)):
            if f.code not in first or severity_rank(f.severity) > severity_rank(first[f.code][1].severity):
                first[f.code] = (i, f)
    ordered = sorted(first.values(),
                     key=lambda item: (_rank(item[1]), -severity_rank(item[1].severity),
                                       -seen_in[item[1].code], item[0]))
    out: list[Candidate] = []
    keys: set[tuple] = set()
    for _, f in ordered:
        for r in f.recommendations:
            # ``extra``: keys for the user's own code only (the data's NaN/Inf, a pre-LN block)
            changes = {**(r.get("set") or {}), **(r.get("extra") or {})}
            key = tuple(sorted((k, repr(v)) for k, v in changes.items()))
            if not changes or key in keys:
                continue
            keys.add(key)
            out.append(Candidate(changes, r.get("why", ""), f.code))
    return out[:limit]
