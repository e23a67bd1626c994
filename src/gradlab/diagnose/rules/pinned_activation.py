"""``pinned_activation``: a bounded activation whose outputs sit near one of its bounds.

Glorot & Bengio (2010) watched the top hidden layer of a deep sigmoid net driven to 0 early in
training and stay there for a long time: its derivative ``σ(1-σ)`` is then small but not below
``saturated_units``' 1 % threshold, and every unit of the layer says almost the same thing. The
finding reads the output moments of each bounded site: a mean within ``margin`` of the range from
a bound with a spread under ``max_spread`` of the range, on most reports and the last one.
"""

from __future__ import annotations

from gradlab.components.activations import output_range
from gradlab.diagnose import fixes
from gradlab.diagnose.finding import Finding
from gradlab.diagnose.rules._view import View, info

CODE = "pinned_activation"
CHECKUP = True

DEFAULTS = {
    "margin": 0.05,
    "max_spread": 0.1,
    "persist_frac": 0.6,
    "min_reports": 3,
}


def rule(vitals, layers, config: dict) -> list[Finding]:
    """One finding per pinned bounded site (the model's output activation is skipped)."""
    view = View(vitals, layers)
    context = config.get("context") or {}
    checkup = context.get("phase") == "checkup"
    findings = []
    for site in view.of_kind("activation"):
        act = info(site, "act")
        bounds = output_range(act)  # from ActivationInfo: one home for what is bounded
        if bounds is None or view.is_terminal(site):
            continue
        path = info(site, "path")
        steps, means = view.finite_series(path, "out_mean")
        _, stds = view.finite_series(path, "out_std")
        n = min(len(means), len(stds))
        if n < (1 if checkup else config["min_reports"]):
            continue
        lo, hi = bounds
        width = hi - lo
        pinned: list[float | None] = []
        for m, s in zip(means[:n], stds[:n]):
            bound = lo if abs(m - lo) <= abs(m - hi) else hi
            near = abs(m - bound) <= config["margin"] * width and s <= config["max_spread"] * width
            pinned.append(bound if near else None)
        held = [p is not None for p in pinned]
        if not held[-1] or sum(held) / n < (1.0 if checkup else config["persist_frac"]):
            continue
        last = pinned[-1]
        assert last is not None  # held[-1]
        bound = last
        evidence = {"act": act, "out_mean": means[n - 1], "out_std": stds[n - 1], "bound": bound,
                    "persist": sum(held) / n}
        message = (f"The outputs of {path} ({act}) sit at {means[n - 1]:.3g}, next to its bound {bound:g}, "
                   f"with spread {stds[n - 1]:.2g}: the layer passes almost no information and little "
                   "gradient (Glorot & Bengio, 2010).")
        findings.append(Finding(CODE, "warning", path, None if checkup else steps[held.index(True)], evidence,
                                message, fixes.pinned_activation(evidence, context)))
    return findings
