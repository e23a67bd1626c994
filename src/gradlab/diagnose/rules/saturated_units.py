"""``saturated_units``: sigmoid/tanh units stuck in the flat tails, where the derivative is ~0.

The watch's ``sat_frac`` is the share of (sample, unit) pairs whose |f'(z)| is under 1 % of its
maximum. Seed 004 (after Glorot & Bengio, 2010) shows deep sigmoid layers saturating early and
passing almost no gradient back. Judged like dead units: persistent over most of training, or at a
checkup on one batch. The activation that produces the model's output is skipped: a confident
classifier's final sigmoid is supposed to saturate.
"""

from __future__ import annotations

from gradlab.diagnose import fixes
from gradlab.diagnose.finding import Finding
from gradlab.diagnose.rules._view import View, info

CODE = "saturated_units"
CHECKUP = True

DEFAULTS = {
    # SageMaker Debugger's SaturatedActivation fires when more than threshold_layer = 50 % of a
    # layer's tanh/sigmoid outputs sit in the saturated range; kept as the starting point.
    "warn_frac": 0.5,
    # practically the whole layer saturated: hardly any gradient gets through
    "error_frac": 0.99,
    "persist_frac": 0.8,
    "min_reports": 3,
}


def rule(vitals, layers, config: dict) -> list[Finding]:
    """Saturation per bounded activation site; see the module docstring for the criteria."""
    view = View(vitals, layers)
    context = config.get("context") or {}
    checkup = context.get("phase") == "checkup"
    findings = []
    for i, site in enumerate(view.of_kind("activation")):
        path = info(site, "path")
        steps, vals = view.finite_series(path, "sat_frac")
        if not vals or view.is_terminal(site):
            continue
        if len(vals) < (1 if checkup else config["min_reports"]):
            continue
        held = [v >= config["warn_frac"] for v in vals]
        share = sum(held) / len(held)
        if share < (1.0 if checkup else config["persist_frac"]) or not held[-1]:
            continue
        severity = "error" if min(vals[-max(1, len(vals) // 2):]) >= config["error_frac"] else "warning"
        evidence = {"act": info(site, "act"), "sat_frac": vals[-1], "persist": share,
                    "first_layer": i == 0}
        _, unit_frac = view.finite_series(path, "sat_unit_frac")
        if unit_frac:
            evidence["sat_unit_frac"] = unit_frac[-1]
        _, pre_std = view.finite_series(path, "pre_std")
        if pre_std:
            evidence["pre_std"] = pre_std[-1]
        message = (f"{vals[-1]:.0%} of the outputs of {path} ({info(site, 'act') or 'a bounded activation'}) "
                   "sit in its flat tails, where the derivative is almost zero: little gradient gets through.")
        findings.append(Finding(CODE, severity, path, None if checkup else steps[held.index(True)],
                                evidence, message, fixes.saturated_units(evidence, context)))
    return findings
