"""The watch of an ensemble: M same-shaped models trained as one, with a leading member axis.

Hooks cannot see inside one batched pass; the ensemble's training loop instead hands this watch
each traced forward (every layer's input and output, the outputs of layers with parameters with
their gradients) and its step events. The statistics are the watch's own, with a member axis: an
:class:`~gradlab.watch.probes.ActivationSite` per activation layer (one per group of members with
identical activations, e.g. a slope sweep), :class:`~gradlab.watch.params.ParamLayers` for the
layers with parameters (Linear, BatchNorm, LayerNorm), their forward counters in the engine's
:class:`~gradlab.watch.host_sums.HostAcc` slots; the cadence is the watch's (dead-unit masks every
step; moments, norms and the update ratio on sampled steps; one report per window). Each member's
values go into its own :class:`~gradlab.watch.vitals.Vitals`, so everything downstream reads them
as a single run's.
"""

from __future__ import annotations

from typing import Any, Sequence

import torch
from torch import Tensor, nn

from gradlab.watch import stats as S
from gradlab.watch.host_sums import HostAcc, drain_members
from gradlab.watch.loop_checks import LoopChecks
from gradlab.watch.params import ParamLayers
from gradlab.watch.probes import ActivationSite
from gradlab.watch.readout import loss_nonfinite
from gradlab.watch.vitals import Vitals

Keys = list[tuple[str, str]]


class MemberWatch:
    """Per-member vitals of an ensemble, at the watch's cadence (see the module docstring).

    Args:
        members: M, the size of the member axis.
        activations: ``(name, [(member indices, module), ...])`` of each activation layer, its
            members grouped by identical modules.
        layers: ``(name, layer)`` of each member-axis layer with parameters (``[M, ...]``), in
            forward order.
        every: the watch's sampling interval in steps.
        model, params: the member-axis model and the optimizer's parameters, for the checks of
            the training loop a single watch makes (:mod:`gradlab.watch.loop_checks`).
    """

    def __init__(self, members: int, activations: list[tuple[str, list[tuple[list[int], nn.Module]]]],
                 layers: Sequence[tuple[str, nn.Module]], every: int, model: nn.Module | None = None,
                 params: Sequence[Tensor] = ()):
        from gradlab.components.activations import activation_info

        self.every = every
        self.size = members
        self.vitals = [Vitals() for _ in range(members)]
        self.sites = [(idx, ActivationSite(name, activation_info(module), members=len(idx)))
                      for name, groups in activations for idx, module in groups]
        self.params = ParamLayers(list(layers), members=members)
        self.fwd = {name: HostAcc(3, members) for name, _ in layers}  # Σ out_grad², nonfinite_in, nonfinite_out
        self.armed: set[str] = set()
        self.pending: tuple[Keys, list[list[float]]] = ([], [])
        self.losses: list[tuple[int, Tensor, str]] = []  # (step, [M] values, stat) logged, not yet pulled
        self._scalars: dict[str, Tensor] = {}  # model-wide scalars of the current step
        self.last_report = -1
        self.stopped: set[int] = set()
        self.model = model
        self.loop = LoopChecks(params) if params else None

    def sampled(self, step: int) -> bool:
        """Whether (0-based) ``step`` is one the watch samples."""
        return step % self.every == 0

    def after_backward(self, step: int, trace: Any, loss: Tensor) -> None:
        """Gradients are in ``.grad``, the optimizer has not stepped: read ``trace`` (every step).

        ``trace`` holds every layer's ``inputs`` and ``outputs`` as ``[M, N, ...]`` tensors (the
        first input may be shared), the outputs of layers with parameters with their gradients.
        """
        sampled = self.sampled(step)
        for idx, site in self.sites:
            z, y = trace.inputs[site.name], trace.outputs[site.name]
            if len(idx) < self.size:
                z, y = z[idx], y[idx]
            site.observe_pre(z, sampled)
            if sampled:
                site.observe_out(y)
        if sampled:
            self._forward(trace)
            self.pending = self.params.member_grad_stats()
            self.params.snapshot()
        self._loss = loss.float()
        if self.loop is not None:  # the step's forward, then the optimizer's pre-hook
            self.loop.forward(self.model is None or self.model.training)
            self.loop.before_step()

    def _forward(self, trace: Any) -> None:
        """The watch's forward counters of each layer with parameters, per member (sampled steps)."""
        for name, acc in self.fwd.items():
            inp, z = trace.inputs[name], trace.outputs[name]
            shared = inp.dim() == 2  # the shared input: one count for every member
            acc.add(1, S.nonfinite_count(inp).expand(self.size) if shared else S.nonfinite_count(inp, True))
            acc.add(2, S.nonfinite_count(z.detach(), True))
            if z.grad is not None:
                acc.add(0, torch.linalg.vector_norm(z.grad.reshape(self.size, -1), dim=1), square=True)
                self.armed.add(name)

    def after_step(self, step: int) -> None:
        """The optimizer has stepped: close the window on sampled steps."""
        if self.loop is not None:
            self.loop.after_step()
        if self.sampled(step):
            keys, rows = self.pending
            ukeys, urows = self.params.member_update_stats()
            self.pending = ([], [])
            lkeys, lvals = self.loop.take() if self.loop is not None else ([], [])  # model-wide: every member's
            self._report(step, reset=True, keys=keys + ukeys + lkeys, rows=[a + b + lvals for a, b in zip(rows, urows)])
        # the Trainer logs the loss after the step, so it is pulled by the next report
        self.losses.append((step, self._loss, "loss"))
        self.losses += [(step, v.float(), stat) for stat, v in self._scalars.items()]
        self._scalars = {}

    def log(self, stat: str, value: Tensor) -> None:
        """A model-wide scalar of the current step, one per member (``[M]``), e.g. the clip angle."""
        self._scalars[stat] = value

    def _report(self, step: int, reset: bool, keys: Keys | None = None, rows: list[list[float]] | None = None,
                only: int | None = None) -> None:
        maxes = [site.report_tensors() for _, site in self.sites]
        dead = [(m <= site.info.dead_threshold).sum(1) for (_, site), m in zip(self.sites, maxes) if m is not None]
        flat = drain_members([site.acc for _, site in self.sites] + list(self.fwd.values()),
                             dead + [v for _, v, _ in self.losses])
        pairs: list[Keys] = [list(keys or []) for _ in range(self.size)]
        values = [list(row) for row in rows] if rows else [[] for _ in range(self.size)]
        for (idx, site), m in zip(self.sites, maxes):
            counts = None
            if m is not None:  # the dead counts came with the sums
                counts, flat = flat[: len(idx)], flat[len(idx) :]
            reports = site.report_members(counts, m.shape[1] if m is not None else 0, reset)
            for i, (names, vals) in zip(idx, reports):
                pairs[i] += [(site.name, n) for n in names]
                values[i] += vals
        for name, acc in self.fwd.items():
            stats = (["out_grad_norm"] if name in self.armed else []) + ["nonfinite_in", "nonfinite_out"]
            for i in range(self.size):
                gsq, nf_in, nf_out = acc.member(i)
                pairs[i] += [(name, stat) for stat in stats]
                values[i] += ([gsq ** 0.5] if name in self.armed else []) + [nf_in, nf_out]
            if reset:
                acc.reset()
        if reset:
            self.armed.clear()
        losses = [flat[k * self.size : (k + 1) * self.size] for k in range(len(self.losses))]
        for i in [only] if only is not None else [i for i in range(self.size) if i not in self.stopped]:
            rows_i = [(s, lv[i], stat) for (s, _, stat), lv in zip(self.losses, losses)]
            for s, v, stat in rows_i:
                self.vitals[i].add(s, "", stat, v)
            nonfinite = loss_nonfinite(rows_i)
            if nonfinite is not None:
                pairs[i].append(("", "loss_nonfinite"))
                values[i].append(nonfinite)
            self.vitals[i].add_many(step, pairs[i], values[i])
        if only is None:
            self.losses = []
            self.last_report = max(self.last_report, step)

    def _flush(self, steps_done: int, only: int | None = None) -> None:
        """The watch's exit: report a partial window and the losses not yet pulled."""
        last = steps_done - 1
        if last > self.last_report or self.losses:
            step = max(last, 0) if last > self.last_report else self.last_report
            keys: Keys = []
            vals: list[float] = []
            if last > self.last_report and self.loop is not None:  # a single watch takes them at its exit
                keys, vals = self.loop.take(reset=only is None)
            self._report(step, reset=only is None, keys=keys, rows=[list(vals) for _ in range(self.size)], only=only)

    def member_stopped(self, member: int, steps_done: int) -> None:
        """``member`` stopped early after ``steps_done`` steps: nothing more of it is recorded."""
        # the member's watch would exit here: flush it alone, without closing the others' window
        self._flush(steps_done, only=member)
        self.stopped.add(member)

    def finish(self, steps_done: int) -> None:
        """Training ended after ``steps_done`` steps: report what is left."""
        self._flush(steps_done)
