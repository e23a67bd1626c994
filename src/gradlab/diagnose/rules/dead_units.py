"""``dead_units``: ReLU-family units that pass no gradient, judged on persistence and impact.

A unit is dead over a window when its activation's derivative is zero on every sample of the window
(the watch's ``dead_frac``). A single snapshot says little: a healthy ReLU MLP on 2-D data often
starts with 25-35 % of a layer's units dead and trains well. So during training the rule asks for
persistence (dead for most of the reports and still dead at the end, not shrinking) and grades by
impact: the whole layer dead is an error (nothing flows through it), most of it a warning (the
layer has lost most of its capacity). At a checkup (one batch, no history) only a whole dead layer
or a large majority counts.
"""

from __future__ import annotations

from gradlab.diagnose import fixes
from gradlab.diagnose.finding import Finding
from gradlab.diagnose.rules._view import View, info, mean

CODE = "dead_units"
CHECKUP = True

DEFAULTS = {
    # SageMaker Debugger's DeadRelu fires when more than threshold_layer = 50 % of a layer's units
    # are inactive; AutoTrainer's dying-ReLU ratio is 0.7. Calibration: healthy 2-8-8-1 and
    # 2-16-16-1 ReLU MLPs on moons (5 seeds each) end with 0-38 % dead and one at exactly 50 %
    # (4 of 8) while training well, so a warning needs *more than* half, persistently.
    "warn_frac": 0.5,
    # the whole layer dead (within rounding): nothing goes forward, no gradient goes back
    "error_frac": 0.999,
    # "most of training": share of reports on which the layer was at least warn_frac dead
    "persist_frac": 0.8,
    # no verdict on fewer reports than this (a live watch waits for some history)
    "min_reports": 3,
    # "not shrinking": the last third may sit at most this far below the first third
    "shrink_tol": 0.1,
    # one batch at initialization: warn only for a large majority dead (healthy nets reach 0.6)
    "checkup_warn_frac": 0.75,
}


def rule(vitals, layers, config: dict) -> list[Finding]:
    """Dead units per activation site; see the module docstring for the criteria.

    Args:
        vitals: the watch's vitals (``series``/``stats`` accessors).
        layers: the monitored ``LayerInfo`` list.
        config: :data:`DEFAULTS` with the user's overrides, plus ``"context"``.
    """
    view = View(vitals, layers)
    context = config.get("context") or {}
    checkup = context.get("phase") == "checkup"
    acts = view.of_kind("activation")
    findings = []
    for i, site in enumerate(acts):
        path = info(site, "path")
        steps, vals = view.finite_series(path, "dead_frac")
        if not vals:
            continue
        evidence = {"act": info(site, "act"), "first_layer": i == 0}
        _, units = view.finite_series(path, "n_units")
        if units:
            evidence["n_units"] = int(units[-1])
        if checkup:
            frac = vals[-1]
            if frac < config["checkup_warn_frac"] and frac < config["error_frac"]:
                continue
            severity = "error" if frac >= config["error_frac"] else "warning"
            evidence.update(dead_frac=frac, from_init=True)
            step = None
        else:
            if len(vals) < config["min_reports"]:
                continue
            held = [v > config["warn_frac"] for v in vals]
            share = sum(held) / len(vals)
            third = max(1, len(vals) // 3)
            shrinking = mean(vals[-third:]) < mean(vals[:third]) - config["shrink_tol"]
            if share < config["persist_frac"] or not held[-1] or shrinking:
                continue
            whole = sum(v >= config["error_frac"] for v in vals) / len(vals)
            severity = "error" if whole >= config["persist_frac"] and vals[-1] >= config["error_frac"] else "warning"
            step = steps[held.index(True)]
            evidence.update(dead_frac=vals[-1], dead_frac_first=vals[0], persist=share,
                            from_init=vals[0] > config["warn_frac"])
        if "n_units" in evidence:
            evidence["live_units"] = int(round(evidence["n_units"] * (1 - evidence["dead_frac"])))
        if severity == "error":
            message = (f"Every unit of {path} is dead: its activation passes no gradient on any "
                       "sample, so nothing before it can learn.")
        else:
            message = (f"{evidence['dead_frac']:.0%} of the units of {path} are dead "
                       f"{'at initialization' if checkup else 'for most of training'}; the layer "
                       "has lost most of its capacity.")
        findings.append(Finding(CODE, severity, path, step, evidence, message,
                                fixes.dead_units(evidence, context)))
    return findings
