"""A cheap per-step finiteness flag, so the first NaN/Inf is placed exactly between sampled steps.

Sampled steps count non-finite values per layer; between them the watch keeps, on the device and
without a host read, per step:

* the model's input and output: ``(x * 0).sum()`` is 0 for a finite tensor and NaN as soon as one
  entry is NaN or ±inf (a plain sum could overflow on large finite values), accumulated over the
  forwards of the step (gradient accumulation, closures);
* every parameter and gradient: one ``torch._foreach_norm`` before the update, whose entries are
  finite exactly when the tensors are.

The report reads them with one transfer and, at the first step where anything was not finite,
publishes flags (1.0: at least one non-finite value; 0.0: none) as ``nonfinite_weight`` /
``nonfinite_grad`` per layer and ``nonfinite_in`` / ``nonfinite_out`` for the model (layer
``""``). After that first step the checks stop: NaN spreads to everything within a step or two,
and the sampled steps go on counting.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from gradlab.watch import stats as S


def first_float(obj: Any, depth: int = 0) -> Tensor | None:
    """The first floating-point tensor in a model's input or output (tensor, sequence, mapping,
    or an object with ``.loss``/``.logits`` such as a Hugging Face ``ModelOutput``)."""
    if isinstance(obj, Tensor):
        return obj if obj.is_floating_point() else None
    if depth > 2:
        return None
    items: Any
    if isinstance(obj, dict):
        items = obj.values()
    elif isinstance(obj, (list, tuple)):
        items = obj
    else:
        items = [getattr(obj, a, None) for a in ("logits", "last_hidden_state", "loss")]
    for item in items:
        t = first_float(item, depth + 1)
        if t is not None:
            return t
    return None


def zero_or_nan(t: Tensor) -> Tensor:
    """A 0-d float64 tensor: 0 when ``t`` is finite, NaN when it holds NaN or ±inf."""
    t = t.detach()
    return (t * 0).sum(dtype=torch.float64) if t.numel() else t.new_zeros((), dtype=torch.float64)


class StepFlags:
    """Per-step device flags of one watch; see the module docstring."""

    def __init__(self) -> None:
        self.done = False  # the first non-finite step was published: stop checking
        self._fwd: list[Tensor | None] = [None, None]
        self._steps: list[tuple[int, list[Tensor], list[tuple[str, str]]]] = []

    def forward(self, which: int, t: Tensor | None) -> None:
        """Fold the model's input (``which=0``) or output (``1``) of one forward into the step."""
        if t is None:
            return
        flag = zero_or_nan(t)
        held = self._fwd[which]
        self._fwd[which] = flag if held is None else held + flag

    def end_step(self, step: int, params, grads: bool = True) -> None:
        """Close ``step``: keep its forward flags and the norms of ``params`` (a ParamLayers)."""
        parts: list[Tensor] = []
        keys: list[tuple[str, str]] = []
        for which, stat in ((0, "nonfinite_in"), (1, "nonfinite_out")):
            flag = self._fwd[which]
            if flag is not None:
                parts.append(flag.reshape(1))
                keys.append(("", stat))
        self._fwd = [None, None]
        if params is not None and len(params.params):
            ps = params.params
            has = [i for i, p in enumerate(ps) if grads and p.grad is not None and not p.grad.is_sparse]
            norms = S.foreach_norms([p.detach() for p in ps] + [ps[i].grad.detach() for i in has])
            parts.append(torch.stack(norms).to(torch.float64))
            keys += [(params.names[params.owner[i]], "nonfinite_weight") for i in range(len(ps))]
            keys += [(params.names[params.owner[i]], "nonfinite_grad") for i in has]
        if parts:
            self._steps.append((step, parts, keys))

    def drop_forward(self) -> None:
        """Forget the forward flags of a step that is sampled (it counts exactly instead)."""
        self._fwd = [None, None]

    def first_bad(self) -> tuple[int, list[tuple[str, str]], list[float]] | None:
        """Read the kept steps (one transfer): the first non-finite step and its per-key flags."""
        steps, self._steps = self._steps, []
        if not steps or self.done:
            return None
        tensors = [p for _, parts, _ in steps for p in parts]
        devices = {t.device for t in tensors}
        if len(devices) == 1:
            flat = torch.cat(tensors).tolist()
        else:  # a model split over devices: one read per tensor, once per report
            flat = [v for t in tensors for v in t.tolist()]
        k = 0
        for step, parts, keys in steps:
            n = sum(p.numel() for p in parts)
            vals = flat[k : k + n]
            k += n
            if any(v != v or v in (float("inf"), float("-inf")) for v in vals):
                self.done = True
                merged: dict[tuple[str, str], float] = {}
                for key, v in zip(keys, vals):  # a layer with several parameters: any of them
                    bad = 0.0 if (v == v and abs(v) != float("inf")) else 1.0
                    merged[key] = max(merged.get(key, 0.0), bad)
                return step, list(merged), list(merged.values())
        return None
