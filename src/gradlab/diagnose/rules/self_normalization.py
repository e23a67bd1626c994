"""``self_normalization``: a SELU network whose activations drift away from mean 0, variance 1.

SELU with LeCun-normal weights and AlphaDropout keeps every layer's activations near mean 0 and
variance 1 at any depth (Klambauer et al. 2017). He init, plain Dropout or BatchNorm-free
additions break the fixed point: the moments drift further with every layer. The finding
compares the deepest quarter of the SELU sites with the first at the first report (initialisation):
drift beyond ``mean_tol`` / ``log_var_tol`` that grows with depth, still there at the last report.
"""

from __future__ import annotations

import math

from gradlab.diagnose import fixes
from gradlab.diagnose.finding import Finding
from gradlab.diagnose.rules._view import View, info, median

CODE = "self_normalization"
CHECKUP = True

DEFAULTS = {
    # healthy 16-layer SELU nets of width 64 stay within |mean| < 0.05, var in [0.9, 1.05]
    "mean_tol": 0.25,
    "log_var_tol": math.log(1.3),
    "min_sites": 4,
    # the deep quarter must drift at least this many times as far as the first quarter: He init
    # on 16 SELU layers gives 3.7x, plain Dropout 12x; a trained LeCun net 1.02x (init-compare)
    "growth": 2.0,
}


def _drift(mean: float, std: float, config: dict) -> float:
    """How far one layer is from (0, 1), in units of the tolerances (> 1: outside)."""
    var = std * std
    if var <= 0:
        return math.inf
    return max(abs(mean) / config["mean_tol"], abs(math.log(var)) / config["log_var_tol"])


def rule(vitals, layers, config: dict) -> list[Finding]:
    """At most one model-wide finding: the deep layers drifted at the first report and stayed so."""
    view = View(vitals, layers)
    context = config.get("context") or {}
    checkup = context.get("phase") == "checkup"
    sites = [s for s in view.of_kind("activation") if info(s, "act") == "selu"]
    if len(sites) < config["min_sites"]:
        return []
    series = []
    for s in sites:
        steps, means = view.finite_series(info(s, "path"), "out_mean")
        _, stds = view.finite_series(info(s, "path"), "out_std")
        series.append(dict(zip(steps, zip(means, stds))))
    common = sorted(set.intersection(*(set(d) for d in series)))
    q = max(1, len(sites) // 4)
    # judged where the fixed point is a promise: the first report, before training has moved the
    # weights off Σw²=1 (a trained SELU net's moments wander without harm)
    for step in common[:1]:
        drift = [_drift(*d[step], config) for d in series]
        deep, first = median(drift[-q:]), median(drift[:q])
        # "grows with depth": a drift the first layers already have (unscaled inputs, or moments
        # a trained net moved) is not the broken fixed point, which compounds layer by layer
        if deep > 1.0 and deep > config["growth"] * first:
            last = common[-1]
            if median([_drift(*d[last], config) for d in series][-q:]) <= 1.0:
                return []  # a transient the network recovered from
            m, s = series[-1][step]
            evidence = {"deep_mean": m, "deep_var": s * s, "depth": len(sites), "first_drift": first,
                        "deep_drift": deep, "dropout": context.get("model.dropout")}
            message = (f"The SELU activations drift from mean 0 / variance 1 with depth (last layer: mean "
                       f"{m:.2g}, variance {s * s:.2g}): self-normalization is broken, so deep layers "
                       "see badly scaled inputs (Klambauer et al., 2017).")
            return [Finding(CODE, "warning", info(sites[-1], "path"), None if checkup else step, evidence, message,
                            fixes.self_normalization(evidence, context))]
    return []
