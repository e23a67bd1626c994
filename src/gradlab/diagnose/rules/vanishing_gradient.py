"""``vanishing_gradient``: gradients that shrink toward the input until early layers stop learning.

Seed 002 prints the gradient L2 norm of every layer of a 5-layer sigmoid net: it falls by orders of
magnitude from the output to the input. The rule reads the same depth profile from the watch's
``grad_norm`` per parametric layer: on each report, a layer's gradient norm is compared with the
largest one of any layer after it in forward order. A layer far below that (``ratio``) on most
reports has a vanishing gradient (warning); a layer that gets no gradient at all while a later one
does is cut off from learning (error). A gradient that is tiny in absolute terms (``abs_floor``)
while the loss is still far from zero also counts: a deep sigmoid net first shows the depth profile,
then settles on a constant output where every layer's gradient is ~1e-9. When a dead activation
sits in between, the finding names it (``blocked_by``) and recommends the dead-unit fixes, since that is the cause.
"""

from __future__ import annotations

from gradlab.diagnose import fixes
from gradlab.diagnose.finding import Finding
from gradlab.diagnose.rules._view import View, info, median

CODE = "vanishing_gradient"
CHECKUP = True

DEFAULTS = {
    # SageMaker Debugger's VanishingGradient uses an absolute 1e-7 on the mean |gradient|, which
    # fires on any converged net; AutoTrainer compares layers. We compare each layer with the
    # largest later one: the seed sigmoid net reads ~1e-8, the zoo's healthy nets stay above 1e-2.
    "ratio": 1e-4,
    # "no gradient reaches it": a norm at or below this is zero (denormals included)
    "zero": 1e-30,
    # share of reports on which it held ("most of training")
    "persist_frac": 0.8,
    "min_reports": 3,
    # SageMaker Debugger's VanishingGradient threshold (1e-7), applied only while the loss is
    # above loss_floor, so a converged net (tiny loss, tiny gradients) is not flagged
    "abs_floor": 1e-7,
    "loss_floor": 0.01,
    # an activation at least this dead between the layer and the output blocks the gradient
    "blocked_frac": 0.999,
}


def _blocked_by(view: View, layer, ref, frac: float) -> str | None:
    """The first activation between ``layer`` and ``ref`` that is entirely dead, if any."""
    lo, hi = info(layer, "order"), info(ref, "order")
    if lo is None or hi is None:
        return None
    for site in view.of_kind("activation"):
        order = info(site, "order")
        if order is not None and lo < order < hi:
            _, vals = view.finite_series(info(site, "path"), "dead_frac")
            if vals and vals[-1] >= frac:
                return info(site, "path")
    return None


def rule(vitals, layers, config: dict) -> list[Finding]:
    """Vanishing gradients per parametric layer; see the module docstring for the criteria."""
    view = View(vitals, layers)
    context = config.get("context") or {}
    checkup = context.get("phase") == "checkup"
    params = [p for p in view.of_kind("param") if "grad_norm" in view.stats(info(p, "path"))]
    norms = {info(p, "path"): dict(zip(*view.finite_series(info(p, "path"), "grad_norm"))) for p in params}
    loss_steps, loss_vals = view.loss()
    findings = []
    for i, layer in enumerate(params[:-1]):
        path = info(layer, "path")
        later = params[i + 1:]
        siblings = _parallel(view, layer)
        steps = sorted(norms[path])
        need = 1 if checkup else config["min_reports"]
        if len(steps) < need:
            continue
        ratios, zeros, refs = [], [], []
        for s in steps:
            best, ref = 0.0, None
            for other in later:
                value = norms[info(other, "path")].get(s)
                if value is not None and value > best:
                    best, ref = value, other
            if ref is None or best <= config["zero"]:
                continue  # nothing flows anywhere after it: not a depth effect
            g = norms[path][s]
            if any(norms[sib].get(s, 0.0) >= config["ratio"] * best for sib in siblings):
                # a layer beside it (attention's value projection beside query and key) gets a
                # healthy gradient: the signal reaches this depth, this layer's own gradient is
                # small for another reason (q·k is bilinear: each gets the other's small weights)
                g = max(g, best)
            zeros.append(g <= config["zero"])
            loss = _loss_at(loss_steps, loss_vals, s)
            stalled = g <= config["abs_floor"] and loss is not None and loss > config["loss_floor"]
            ratios.append((s, g / best, stalled))
            refs.append((ref, best))
        if len(ratios) < need:
            continue
        held = [r < config["ratio"] or stalled for _, r, stalled in ratios]
        share = sum(held) / len(held)
        if share < (1.0 if checkup else config["persist_frac"]) or not held[-1]:
            continue
        cut_off = sum(zeros) / len(zeros) >= (1.0 if checkup else config["persist_frac"]) and zeros[-1]
        ref, best = refs[-1]
        evidence = {
            "grad_norm": median([norms[path][s] for s, _, _ in ratios[-max(1, len(ratios) // 2):]]),
            "ref_layer": info(ref, "path"),
            "ref_grad_norm": best,
            "ratio": median([r for _, r, _ in ratios[-max(1, len(ratios) // 2):]]),
            "stalled": ratios[-1][2],
            "persist": share,
            "at_init": held[0],
            "act": view.main_act(),
        }
        blocked = _blocked_by(view, layer, ref, config["blocked_frac"])
        if blocked:
            evidence["blocked_by"] = blocked
            evidence["from_init"] = held[0]
        if cut_off:
            severity = "error"
            message = (f"No gradient reaches {path}: its weights cannot change"
                       + (f", because every unit of {blocked} is dead." if blocked else "."))
        elif evidence["stalled"]:
            severity = "warning"
            message = (f"The gradient reaching {path} has shrunk to {evidence['grad_norm']:.1e} while the "
                       "loss is still high: it vanished on the way back and learning has stalled.")
        else:
            severity = "warning"
            message = (f"The gradient reaching {path} is {evidence['ratio']:.1e} times the one at "
                       f"{evidence['ref_layer']} (norm {evidence['grad_norm']:.1e}): it vanishes on the "
                       f"way back, so {path} barely learns.")
        step = None if checkup else ratios[held.index(True)][0]
        findings.append(Finding(CODE, severity, path, step, evidence, message,
                                fixes.vanishing_gradient(evidence, context)))
    return findings



def _parallel(view: View, layer) -> list[str]:
    """Parametric layers that run right beside ``layer``: same parent module, next to it in
    forward order with no activation or other module's layer in between (attention's query,
    key and value projections). Layers of a chain have an activation between them."""
    path = info(layer, "path")
    if "." not in path:
        return []
    parent = path.rsplit(".", 1)[0]
    ordered = [x for x in view.layers if info(x, "order") is not None]
    if layer not in ordered:
        return []
    i = ordered.index(layer)
    out = []
    for step in (-1, 1):
        j = i + step
        while 0 <= j < len(ordered):
            other = ordered[j]
            p = info(other, "path")
            if info(other, "kind") != "param" or "." not in p or p.rsplit(".", 1)[0] != parent:
                break
            out.append(p)
            j += step
    return out


def _loss_at(steps: list[int], values: list[float], step: int) -> float | None:
    """The last loss logged at or before ``step`` (the first one if none was)."""
    if not steps:
        return None
    best = None
    for s, v in zip(steps, values):
        if s > step:
            break
        best = v
    return values[0] if best is None else best
