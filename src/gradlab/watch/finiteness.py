"""A cheap per-step finiteness flag, so the first NaN/Inf is placed exactly between sampled steps.

Sampled steps count non-finite values per layer. Between them the watch keeps, per step and on
the device, the 2-norms from one fused ``torch._foreach_norm`` call before the update, over

* the model's input and output (references held from the forward; a second forward in the same
  step, as in gradient accumulation, has the held pair reduced at once, so at most one is held),
* every gradient,
* the weights changed since the last update by something other than the optimizer (a NaN
  written into a layer, a checkpoint loaded): PyTorch bumps a tensor's version counter on every
  in-place write, so comparing the counters with those seen after the last update finds them
  without reading a single weight. Writes through ``.data`` bypass the counter; those, and
  weights the optimizer itself turns non-finite from finite gradients, still show at the exact
  step in the model's output (``nonfinite_out``), only without the layer's name.

A norm is finite exactly when its tensor is (up to float32 overflow of the squares, ~1e19 per
entry), and the per-tensor norms localise by themselves: no per-layer pass and no host read on
the step. The report stacks every kept norm in one op, reads them in one transfer, and only when
their sum is not finite looks for the first bad step in Python. There it publishes flags (1.0:
at least one non-finite value; 0.0: none) as ``nonfinite_weight`` / ``nonfinite_grad`` per layer
and ``nonfinite_in`` / ``nonfinite_out`` for the model (layer ``""``). After that the checks
stop: NaN spreads to everything within a step or two, and the sampled steps go on counting.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import torch
from torch import Tensor

from gradlab.watch import stats as S

IN_OUT = (("", "nonfinite_in"), ("", "nonfinite_out"))


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


class _Kept(NamedTuple):
    """One non-sampled step's norms, in the order: forward tensors, gradients, changed weights."""

    step: int
    norms: list[Tensor]
    kinds: list[int]  # 0: a model input, 1: a model output; one per forward tensor
    grads: tuple[int, ...]  # parameter indices whose gradient was checked
    weights: tuple[int, ...]  # parameter indices of the weights checked (changed outside the update)


def _bad(v: float) -> bool:
    return not math.isfinite(v)


class StepFlags:
    """Per-step device flags of one watch; see the module docstring."""

    def __init__(self) -> None:
        self.done = False  # the first non-finite step was published: stop checking
        self._in: Tensor | None = None  # the input of the forward in progress
        self._pair: list[Tensor] = []  # the last forward's input and output, held to the step's end
        self._pair_kinds: list[int] = []
        self._fwd: list[Tensor] = []  # norms of earlier forwards of the same step
        self._fwd_kinds: list[int] = []
        self._versions: list[int] | None = None  # the parameters' version counters after the update
        self._steps: list[_Kept] = []

    def hold_input(self, x: Tensor | None) -> None:
        """Keep (a reference to) the model input of the forward that starts."""
        self._in = x

    def forward(self, out: Tensor | None) -> None:
        """Close one forward: hold its input and output until the step ends."""
        if self._pair:  # a second forward in this step: reduce the first one's pair now
            with torch.no_grad():
                self._fwd += S.foreach_norms(self._pair)
            self._fwd_kinds += self._pair_kinds
        x, self._in = self._in, None
        self._pair = [t for t in (x, out) if t is not None]
        self._pair_kinds = [k for k, t in ((0, x), (1, out)) if t is not None]

    def end_step(self, step: int, params) -> None:
        """Close ``step`` before its update: one fused norm of its forward tensors, its gradients
        and the weights written since the last update (``params``: the watch's ParamLayers)."""
        tensors = list(self._pair)
        kinds = self._fwd_kinds + self._pair_kinds
        fwd_norms = self._fwd
        self.drop_forward()
        grads: tuple[int, ...] = ()
        weights: tuple[int, ...] = ()
        if params is not None and params.params:
            ps = params.params
            gs = [p.grad for p in ps]
            grads = tuple(i for i, g in enumerate(gs) if g is not None and not g.is_sparse)
            seen = self._versions
            weights = tuple(range(len(ps))) if seen is None else tuple(
                i for i, (p, v) in enumerate(zip(ps, seen)) if p._version != v)
            tensors += [gs[i] for i in grads] + [ps[i] for i in weights]
        if tensors:
            with torch.no_grad():  # the optimizer's pre-hooks run with grad enabled
                norms = fwd_norms + S.foreach_norms(tensors)
        else:
            norms = fwd_norms
        if norms:
            self._steps.append(_Kept(step, norms, kinds, grads, weights))

    def after_update(self, params) -> None:
        """Remember the parameters' version counters once the update has written them."""
        if params is not None and not self.done:
            self._versions = [p._version for p in params.params]

    def drop_forward(self) -> None:
        """Forget the forward tensors of a step that is sampled (it counts exactly instead)."""
        self._in = None
        self._pair, self._pair_kinds = [], []
        self._fwd, self._fwd_kinds = [], []

    def first_bad(self, params=None) -> tuple[int, list[tuple[str, str]], list[float]] | None:
        """Read the kept steps (one transfer): the first non-finite step and its per-key flags.

        Args:
            params: the watch's ParamLayers, which names the layers of the kept norms.
        """
        steps, self._steps = self._steps, []
        if not steps or self.done:
            return None
        tensors = [t for kept in steps for t in kept.norms]
        try:
            flat = torch.stack(tensors).tolist()
        except RuntimeError:  # a model split over devices: one read per tensor, once per report
            flat = [t.item() for t in tensors]
        if math.isfinite(sum(flat)):  # the common case: every step finite, no Python scan
            return None
        k = 0
        for kept in steps:
            vals, k = flat[k : k + len(kept.norms)], k + len(kept.norms)
            if any(_bad(v) for v in vals):
                self.done = True
                return kept.step, *self._localise(kept, vals, params)
        return None  # pragma: no cover - a finite sum overflowed: no value was bad

    @staticmethod
    def _localise(kept: _Kept, vals: list[float], params) -> tuple[list[tuple[str, str]], list[float]]:
        keys = [IN_OUT[kind] for kind in kept.kinds]
        if params is not None:
            names, owner = params.names, params.owner
            keys += [(names[owner[i]], "nonfinite_grad") for i in kept.grads]
            keys += [(names[owner[i]], "nonfinite_weight") for i in kept.weights]
        merged: dict[tuple[str, str], float] = {}
        for key, v in zip(keys, vals):  # several forwards or parameters per key: any of them
            merged[key] = max(merged.get(key, 0.0), 1.0 if _bad(v) else 0.0)
        return list(merged), list(merged.values())
