"""The watch, per member, inside the batched passes: vitals, findings and layers for each member.

Hooks cannot see inside a plain ``vmap``; the batched model instead hands its pre-activations,
outputs and gradients to this observer, which reduces them over the samples and keeps the member
dimension. The cadence is the watch's: the dead-unit mask on every step, moments, norms and the
update ratio on the sampled steps, one report per window. Each member's values go into its own
:class:`gradlab.watch.vitals.Vitals`, so thinning, ``rows()`` and the per-epoch summary are the
very ones ``run_trial`` uses, and :func:`gradlab.diagnose.diagnose` reads them unchanged.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import torch
from torch import Tensor

from gradlab.models.members import activation_groups, member_count, member_linears
from gradlab.study.batched import member_stats as MS
from gradlab.study.batched.fit import Observer
from gradlab.study.batched.member import Ensemble
from gradlab.study.batched.sites import ForwardStats, Site
from gradlab.study.batched.trace import Trace
from gradlab.watch import stats as S

F64 = torch.float64


def _sum_sq(norms) -> Tensor:
    """``Σ n²`` of per-member norms, in float64 (as the watch sums its float32 squares)."""
    return torch.stack([(n * n).to(F64) for n in norms]).sum(0)


class _Params:
    """Gradient, weight, update and symmetry vitals of the Linear layers, per member.

    Squares are taken in float32 and summed in float64, as :class:`gradlab.watch.params.ParamLayers`
    does, so the two agree to float32 rounding.
    """

    def __init__(self, ens: Ensemble):
        self.net = ens.net
        self.before: list[Tensor] | None = None

    def _layers(self):
        for name, layer in member_linears(self.net):
            yield name, [(p, t) for p, t in layer.named_parameters()]

    def grad_stats(self) -> dict[tuple[str, str], Tensor]:
        """Norms, ratios, non-finite counts and row symmetry, before the optimizer step."""
        out: dict[tuple[str, str], Tensor] = {}
        for name, params in self._layers():
            wn = {p: MS.norms(t) for p, t in params}
            wsq = _sum_sq(wn.values())
            if all(t.grad is not None for _, t in params):
                gn = {p: MS.norms(t.grad) for p, t in params}
                for p, n in gn.items():
                    out[(name, f"grad_norm/{p}")] = n.to(F64)
                gnorm = _sum_sq(gn.values()).sqrt()
                out[(name, "grad_norm")] = gnorm
                out[(name, "grad_weight_ratio")] = gnorm / wsq.sqrt().clamp_min(1e-30)
                out[(name, "nonfinite_grad")] = torch.stack([MS.nonfinite(t.grad) for _, t in params]).sum(0)
            out[(name, "weight_norm")] = wsq.sqrt()
            out[(name, "nonfinite_weight")] = torch.stack([MS.nonfinite(t) for _, t in params]).sum(0)
            w = params[0][1]
            if w.shape[1] > 1:
                out[(name, "row_symmetry")] = S.row_symmetry(w, wn["weight"] * wn["weight"], members=True)
        self.before = [p.detach().clone() for p in self.net.parameters()]
        return out

    def update_stats(self) -> dict[tuple[str, str], Tensor]:
        """``||w_after - w_before|| / ||w_before||`` per layer and member."""
        if self.before is None:
            return {}
        out = {}
        old = iter(self.before)
        for name, params in self._layers():
            pairs = [(t, next(old)) for _, t in params]
            dn = [MS.norms(before - t) for t, before in pairs]
            on = [MS.norms(before) for _, before in pairs]
            dsq, osq = _sum_sq(dn), _sum_sq(on)
            out[(name, "update_ratio")] = dsq.sqrt() / osq.sqrt().clamp_min(1e-30)
        self.before = None
        return out


class EnsembleWatcher(Observer):
    """Per-member vitals of an ensemble, with the watch's cadence (see the module docstring).

    Args:
        ens: the ensemble being trained.
        every: the watch's sampling interval in steps.
    """

    def __init__(self, ens: Ensemble, every: int):
        from gradlab.watch.vitals import Vitals

        self.ens = ens
        self.every = every
        size = member_count(ens.net)
        self.vitals = [Vitals() for _ in range(size)]
        linears = dict(member_linears(ens.net))
        self.sites = [Site(name, self._groups(act, size), size)
                      for name, act in ens.net.named_children() if name not in linears]
        self.forward = ForwardStats(list(linears), size)
        self.params = _Params(ens)
        self.pending: dict[tuple[str, str], Tensor] = {}
        self.losses: list[tuple[int, Tensor, str]] = []  # (step, [M] values, stat) logged, not yet pulled
        self._scalars: dict[str, Tensor] = {}  # model-wide scalars of the current step
        self.last_report = -1
        self.stopped: set[int] = set()
        self._layers: list | None = None

    @staticmethod
    def _groups(act, size: int) -> list[tuple[list[int], Any]]:
        from gradlab.components.activations import activation_info

        return [(idx, activation_info(module)) for idx, module in activation_groups(act, size)]

    def sampled(self, step: int) -> bool:
        return step % self.every == 0

    def wants_trace(self, step: int) -> bool:
        return True  # the dead-unit masks see every training forward

    def after_backward(self, step: int, trace: Trace | None, loss: Tensor) -> None:
        sampled = self.sampled(step)
        assert trace is not None  # wants_trace: every step is traced
        for site in self.sites:
            site.observe(trace.pre[site.name], trace.out[site.name], sampled)
        if sampled:
            assert trace.x is not None
            self.forward.observe(trace, trace.x)
            self.pending = self.params.grad_stats()
        self._loss = loss.float()

    def after_step(self, step: int) -> None:
        if self.sampled(step):
            values = dict(self.pending)
            values.update(self.params.update_stats())
            self.pending = {}
            self._report(step, reset=True, values=values)
        # the Trainer logs the loss after the step, so it is pulled by the next report
        self.losses.append((step, self._loss, "loss"))
        self.losses += [(step, v.float(), stat) for stat, v in self._scalars.items()]
        self._scalars = {}

    def log(self, stat: str, value: Tensor) -> None:
        self._scalars[stat] = value

    def _report(self, step: int, reset: bool, values: dict | None = None, only: int | None = None) -> None:
        values = dict(values or {})
        skips: dict[tuple[str, str], Tensor] = {}
        for site in self.sites:
            site_values, site_skip = site.report(reset)
            values.update({(site.name, stat): v for stat, v in site_values.items()})
            skips.update({(site.name, stat): m for stat, m in site_skip.items()})
        values.update(self.forward.report(reset))
        members = [only] if only is not None else [i for i in range(len(self.vitals)) if i not in self.stopped]
        keys = list(values)
        table = torch.stack([values[k].to(F64) for k in keys], 1)[members].tolist() if keys else [[]] * len(members)
        loss_table = torch.stack([v for _, v, _ in self.losses], 1)[members].tolist() if self.losses else None
        for row_i, i in enumerate(members):
            vit = self.vitals[i]
            for key, value in zip(keys, table[row_i]):
                if key in skips and bool(skips[key][i]):
                    continue
                vit.add(step, key[0], key[1], value)
            if loss_table is not None:
                lv = loss_table[row_i]
                for (s, _, stat), value in zip(self.losses, lv):
                    vit.add(s, "", stat, value)
                vit.add(step, "", "loss_nonfinite", float(sum(
                    1 for (_, _, stat), v in zip(self.losses, lv) if stat == "loss" and not math.isfinite(v))))
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
                      config: dict) -> tuple[list, list, list]:
        """``(vitals rows per epoch, findings, layers)`` of member ``i``, as ``run_trial`` makes them."""
        from gradlab.diagnose import diagnose
        from gradlab.study.vital_thinning import kept_epochs
        from gradlab.train.experiment import epoch_vitals

        done = list(zip([row["epoch"] for row in hist], ends))
        # only the epochs the store keeps: the same rows as summarising every epoch, then thinning
        keep = kept_epochs([epoch for epoch, _ in done])
        done = [(epoch, steps) for epoch, steps in done if epoch in keep]
        layers = self.layers()
        findings = [f.to_dict() for f in diagnose(self.vitals[i], layers, rules=rules,
                                                     context={"config": config})]
        return epoch_vitals(self.vitals[i].rows(), done), findings, [layer.to_dict() for layer in layers]

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
