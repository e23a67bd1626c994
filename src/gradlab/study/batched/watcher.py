"""The watch, per member, inside the batched passes: vitals, findings and layers for each member.

Hooks cannot see inside a plain ``vmap``; the batched model instead hands its pre-activations,
outputs and gradients to this observer. The statistics are the watch's own, with a member axis:
an :class:`~gradlab.watch.probes.ActivationSite` per activation layer (and per group of members
with identical activations), :class:`~gradlab.watch.params.ParamLayers` for the Linear layers,
the forward counters in the watch's :class:`~gradlab.watch.host_sums.HostAcc` slots. The cadence
is the watch's: the dead-unit mask on every step, moments, norms and the update ratio on the
sampled steps, one report per window. Each member's values go into its own
:class:`gradlab.watch.vitals.Vitals`, so thinning, ``rows()`` and the per-epoch summary are the
very ones ``run_trial`` uses, and :func:`gradlab.diagnose.diagnose` reads them unchanged.
"""

from __future__ import annotations

import copy
from typing import Any

import torch
from torch import Tensor

from gradlab.models.members import activation_groups, member_count, member_linears
from gradlab.study.batched.fit import Observer
from gradlab.study.batched.member import Ensemble
from gradlab.study.batched.trace import Trace
from gradlab.watch import stats as S
from gradlab.watch.host_sums import HostAcc, drain_members
from gradlab.watch.params import ParamLayers
from gradlab.watch.probes import ActivationSite
from gradlab.watch.readout import loss_nonfinite

Keys = list[tuple[str, str]]


class EnsembleWatcher(Observer):
    """Per-member vitals of an ensemble, with the watch's cadence (see the module docstring).

    Args:
        ens: the ensemble being trained.
        every: the watch's sampling interval in steps.
    """

    def __init__(self, ens: Ensemble, every: int):
        from gradlab.components.activations import activation_info
        from gradlab.watch.vitals import Vitals

        self.ens = ens
        self.every = every
        self.size = size = member_count(ens.net)
        self.vitals = [Vitals() for _ in range(size)]
        linears = dict(member_linears(ens.net))
        # a slope sweep mixes activations: one site per group of members with identical ones
        self.sites = [(idx, ActivationSite(name, activation_info(module), members=len(idx)))
                      for name, act in ens.net.named_children() if name not in linears
                      for idx, module in activation_groups(act, size)]
        self.params = ParamLayers(list(linears.items()), members=size)
        self.fwd = {name: HostAcc(3, size) for name in linears}  # Σ out_grad², nonfinite_in, nonfinite_out
        self.armed: set[str] = set()
        self.pending: tuple[Keys, list[list[float]]] = ([], [])
        self.losses: list[tuple[int, Tensor, str]] = []  # (step, [M] values, stat) logged, not yet pulled
        self._scalars: dict[str, Tensor] = {}  # model-wide scalars of the current step
        self.last_report = -1
        self.stopped: set[int] = set()
        self._layers: list | None = None

    def sampled(self, step: int) -> bool:
        return step % self.every == 0

    def wants_trace(self, step: int) -> bool:
        return True  # the dead-unit masks see every training forward

    def after_backward(self, step: int, trace: Trace | None, loss: Tensor) -> None:
        sampled = self.sampled(step)
        assert trace is not None  # wants_trace: every step is traced
        for idx, site in self.sites:
            z, y = trace.pre[site.name], trace.out[site.name]
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

    def _forward(self, trace: Trace) -> None:
        """The watch's forward counters of each Linear layer, per member (sampled steps)."""
        assert trace.x is not None
        inputs = [trace.x] + list(trace.out.values())
        for (name, acc), inp in zip(self.fwd.items(), inputs):
            z = trace.linear_out[name]
            shared = inp.dim() == 2  # the shared input: one count for every member
            acc.add(1, S.nonfinite_count(inp).expand(self.size) if shared else S.nonfinite_count(inp, True))
            acc.add(2, S.nonfinite_count(z.detach(), True))
            if z.grad is not None:
                acc.add(0, torch.linalg.vector_norm(z.grad.reshape(self.size, -1), dim=1), square=True)
                self.armed.add(name)

    def after_step(self, step: int) -> None:
        if self.sampled(step):
            keys, rows = self.pending
            ukeys, urows = self.params.member_update_stats()
            self.pending = ([], [])
            self._report(step, reset=True, keys=keys + ukeys, rows=[a + b for a, b in zip(rows, urows)])
        # the Trainer logs the loss after the step, so it is pulled by the next report
        self.losses.append((step, self._loss, "loss"))
        self.losses += [(step, v.float(), stat) for stat, v in self._scalars.items()]
        self._scalars = {}

    def log(self, stat: str, value: Tensor) -> None:
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
            self._report(step, reset=only is None, only=only)

    def member_stopped(self, member: int, steps_done: int) -> None:
        # the member's watch would exit here: flush it alone, without closing the others' window
        self._flush(steps_done, only=member)
        self.stopped.add(member)

    def finish(self, steps_done: int) -> None:
        self._flush(steps_done)

    def member_report(self, i: int, hist: list[dict], ends: list[int], rules: Any,
                      config: dict) -> tuple[Any, list, list]:
        """``(vitals rows per epoch, findings, layers)`` of member ``i``, as ``run_trial`` makes them."""
        from gradlab.diagnose import diagnose
        from gradlab.study.series_codec import PackedVitals
        from gradlab.study.vital_thinning import kept_epochs
        from gradlab.train.epoch_vitals import epoch_series

        done = list(zip([row["epoch"] for row in hist], ends))
        # only the epochs the store keeps: the same rows as summarising every epoch, then thinning
        keep = kept_epochs([epoch for epoch, _ in done])
        done = [(epoch, steps) for epoch, steps in done if epoch in keep]
        layers = self.layers()
        findings = [f.to_dict() for f in diagnose(self.vitals[i], layers, rules=rules,
                                                     context={"config": config})]
        # packed here, as a worker packs them (result_dict), straight from the member's series
        vitals = PackedVitals.from_series(epoch_series(self.vitals[i], done))
        return vitals, findings, [layer.to_dict() for layer in layers]

    def layers(self) -> list:
        """The watch's LayerInfo list for one member's model (all members share it)."""
        if self._layers is None:
            from gradlab.watch.watch import watch

            model = copy.deepcopy(self.ens.builts[0].model).train()
            x = self.ens.train.x[:2] if self.ens.train.x_shared else self.ens.train.x[0, :2]
            with watch(model) as w:
                model(x).sum().backward()
            self._layers = list(w.layers)
        return self._layers
