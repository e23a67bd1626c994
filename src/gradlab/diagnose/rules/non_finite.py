"""``non_finite``: NaN or Inf somewhere, traced to where it first appeared and what carried it.

At the first step with any non-finite count, the layers are scanned in forward order and the first
one with a non-finite signal names the origin and its source:

- ``input``: the layer received NaN/Inf (``nonfinite_in``) and nothing before it produced any —
  the data holds them;
- ``weight``: the layer's own weights are non-finite (``nonfinite_weight``);
- ``activation``: inputs and weights are finite but the output is not (``nonfinite_out``: an
  overflow inside the layer, e.g. ``exp`` of a large value);
- ``gradient``: the forward pass is finite everywhere but gradients are not (``nonfinite_grad``);
  the origin is then the gradient's first layer on the way back, the last one in forward order;
- ``loss``: only the loss is non-finite (``loss_nonfinite``), e.g. ``log(0)`` in the loss.
"""

from __future__ import annotations

from typing import Any

from gradlab.diagnose import fixes
from gradlab.diagnose.finding import Finding
from gradlab.diagnose.rules._view import View, info

CODE = "non_finite"
CHECKUP = True

# SageMaker Debugger's ExplodingTensor checks for any NaN/Inf: there is nothing to calibrate.
DEFAULTS = {
    # how many non-finite values count (0: any)
    "min_count": 0,
}

FORWARD = (("nonfinite_in", "input"), ("nonfinite_weight", "weight"), ("nonfinite_out", "activation"))


def _bad(count: float | None, min_count: float) -> bool:
    """A count above ``min_count``; a NaN count (the counter itself broke) is bad too."""
    return count is not None and (count != count or count > min_count)


def _counts(view: View, path: str, stat: str) -> dict[int, float]:
    steps, vals = view.series(path, stat)
    return dict(zip(steps, vals))


def rule(vitals, layers, config: dict) -> list[Finding]:
    """At most one model-wide finding, naming the origin layer and the source."""
    view = View(vitals, layers)
    context = config.get("context") or {}
    checkup = context.get("phase") == "checkup"
    stats = [s for s, _ in FORWARD] + ["nonfinite_grad"]
    table = {(info(layer, "path"), s): _counts(view, info(layer, "path"), s) for layer in view.layers for s in stats}
    loss = _counts(view, "", "loss_nonfinite")
    bad = lambda v: _bad(v, config["min_count"])  # noqa: E731
    # between sampled steps the watch keeps per-step flags of the model's input and output, and
    # every logged loss: they place the first bad step exactly
    model_in, model_out = _counts(view, "", "nonfinite_in"), _counts(view, "", "nonfinite_out")
    losses = {s: (0.0 if v == v and abs(v) != float("inf") else 1.0) for s, v in zip(*view.loss())}
    counts_all = [*table.values(), loss, model_in, model_out, losses]
    steps = sorted({s for counts in counts_all for s, v in counts.items() if bad(v)})
    if not steps:
        return []
    step = steps[0]
    origin: str | None = None
    source = ""
    seen_upstream = False
    for layer in view.layers:
        path = info(layer, "path")
        for stat, name in FORWARD:
            if bad(table[(path, stat)].get(step)):
                if stat == "nonfinite_in" and seen_upstream:
                    continue
                origin, source = path, name
                break
        if origin is not None:
            break
    params = view.of_kind("param")
    if origin is None and bad(model_in.get(step)):
        origin, source = (info(params[0], "path") if params else None), "input"
    elif origin is None and bad(model_out.get(step)):
        source = "activation"  # a step between samples: the forward overflowed, layer not traced
    if origin is None and not source:
        grads = [info(layer, "path") for layer in view.layers
                 if bad(table[(info(layer, "path"), "nonfinite_grad")].get(step))]
        if grads:
            origin, source = grads[-1], "gradient"
        else:
            origin, source = None, "loss"
    evidence: dict[str, Any] = {"source": source, "origin": origin, "first_step": step}
    affected = sorted({p for (p, s), counts in table.items() if bad(counts.get(step))})
    evidence["affected_layers"] = affected
    evidence["act"] = view.main_act()
    where = f"in {origin}" if origin else ("in the forward pass" if source == "activation" else "in the loss")
    text = {
        "input": f"NaN/Inf values arrive in the input of {origin}: the data itself holds them. "
                 "Remove or impute those samples; no training setting can repair them.",
        "weight": f"The weights of {origin} became NaN/Inf, and everything after it followed.",
        "activation": (f"The output of {origin} overflowed to NaN/Inf although its input and weights "
                       "were finite: values grew too large.") if origin else (
                       "The model's output turned NaN/Inf at this step although every weight and the "
                       "input were finite: a value overflowed inside the forward pass (watch with "
                       "every=1 to name the layer)."),
        "gradient": f"The forward pass is finite but the gradients turned NaN/Inf, first at {origin} "
                    "on the way back.",
        "loss": "The loss is NaN/Inf while every layer is finite: the loss function itself overflows "
                "(e.g. log(0)).",
    }[source]
    return [Finding(CODE, "error", origin, None if checkup else step, evidence,
                    f"Non-finite values {where} ({source}). {text}", fixes.non_finite(evidence, context))]
