"""``exploding_gradient``: gradients growing without bound, over time or through depth.

Two signatures. Over training: a layer's ``grad_norm`` grows by ``growth`` over its early level
while the loss gets worse or turns non-finite (a growing gradient with a falling loss is training
sharpening, not exploding — e.g. a zero-initialized layer waking up). Through depth, visible at
initialization: the gradient flowing out of an early layer (``out_grad_norm``) is ``depth_ratio``
times the one at the last layer — each layer multiplies it on the way back.
"""

from __future__ import annotations

import math

from gradlab.diagnose import fixes
from gradlab.diagnose.finding import Finding
from gradlab.diagnose.rules._view import View, info, mean, median

CODE = "exploding_gradient"
CHECKUP = True

DEFAULTS = {
    # SageMaker Debugger's ExplodingTensor only flags NaN/Inf and AutoTrainer uses an absolute
    # gradient threshold; growth is scale-free. Healthy zoo runs grow at most ~30x.
    "growth": 1e3,
    # early level: median of the first reports, this many
    "head_reports": 3,
    # depth profile: first layer's output gradient over the last one's
    "depth_ratio": 1e4,
    "persist_frac": 0.8,
    # loss blow-up: finite loss over its early level (minimum of the first head_reports values).
    # A diverging step multiplies the loss (MSE 10 -> 181 -> 6e11 in the zoo's huge-lr case);
    # healthy zoo runs never exceed 1.5x their early level; a spike that recovers is excluded.
    "loss_growth": 1e2,
}


def _loss_worse(view: View) -> bool:
    _, loss = view.loss()
    if not loss:
        return True  # no loss logged: judge on the gradients alone
    if any(not math.isfinite(v) for v in loss):
        return True
    k = max(1, len(loss) // 5)
    return mean(loss[-k:]) > mean(loss[:k])


def rule(vitals, layers, config: dict) -> list[Finding]:
    """Exploding gradients over time (per layer) and through depth (model-wide)."""
    view = View(vitals, layers)
    context = config.get("context") or {}
    checkup = context.get("phase") == "checkup"
    params = view.of_kind("param")
    findings = []
    worse = None if checkup else _loss_worse(view)
    for layer in params if not checkup else []:
        path = info(layer, "path")
        steps, vals = view.finite_series(path, "grad_norm")
        h = config["head_reports"]
        if len(vals) <= h:
            continue
        head = median(vals[:h])
        peak = max(vals[h:])
        if head <= 0 or peak < config["growth"] * head or not worse:
            continue
        first = next(s for s, v in zip(steps[h:], vals[h:]) if v >= config["growth"] * head)
        evidence = {"grad_norm": peak, "grad_norm_first": head, "growth": peak / head, "at_init": False,
                    "act": view.main_act()}
        findings.append(Finding(CODE, "error", path, first, evidence,
                                f"The gradient of {path} grew {peak / head:.0e}-fold while the loss got "
                                "worse: the updates are blowing up.", fixes.exploding_gradient(evidence, context)))
    if not checkup:
        findings += _loss_blowup(view, config, context)
    # depth profile of the gradient flowing out of each layer
    profile = [(layer, dict(zip(*view.finite_series(info(layer, "path"), "out_grad_norm")))) for layer in params]
    profile = [(layer, d) for layer, d in profile if d]
    if len(profile) >= 3:
        (first_l, first_d), (last_l, last_d) = profile[0], profile[-1]
        steps = sorted(set(first_d) & set(last_d))
        ratios = [(s, first_d[s] / last_d[s]) for s in steps if last_d[s] > 0]
        held = [r > config["depth_ratio"] for _, r in ratios]
        need = 1.0 if checkup else config["persist_frac"]
        if held and sum(held) / len(held) >= need and held[-1]:
            ratio = ratios[-1][1]
            evidence = {"ratio": ratio, "first_layer": info(first_l, "path"), "last_layer": info(last_l, "path"),
                        "at_init": held[0], "act": view.main_act()}
            findings.append(Finding(
                CODE, "warning", info(first_l, "path"), None if checkup else ratios[held.index(True)][0],
                evidence, f"The gradient grows {ratio:.0e}-fold from {info(last_l, 'path')} back to "
                f"{info(first_l, 'path')}: each layer amplifies it.", fixes.exploding_gradient(evidence, context)))
    return findings


def _loss_blowup(view: View, config: dict, context: dict) -> list[Finding]:
    """The model-wide signature: the logged loss multiplied ``loss_growth``-fold and stayed up."""
    steps, loss = view.loss()
    finite = [(s, v) for s, v in zip(steps, loss) if math.isfinite(v)]
    h = config["head_reports"]
    if len(finite) < 2:
        return []
    head = min(v for _, v in finite[:h])
    if head <= 0:
        return []
    limit = config["loss_growth"] * head
    first = next(((s, v) for s, v in finite if v >= limit), None)
    if first is None or not _loss_worse(view):
        return []
    peak = max(v for _, v in finite)
    went_nan = len(finite) < len(loss)
    evidence = {"loss_first": head, "loss_peak": peak, "growth": peak / head, "went_non_finite": went_nan,
                "at_init": False, "act": view.main_act()}
    then = " and then turned NaN/Inf" if went_nan else ""
    message = (f"The loss exploded from {head:.3g} to {peak:.3g} ({peak / head:.0e}-fold){then}: the steps "
               "are far too large and the gradients blow up with them.")
    return [Finding(CODE, "error", None, first[0], evidence, message, fixes.exploding_gradient(evidence, context))]
