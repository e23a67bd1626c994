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

from gradlab.study.batched import member_stats as MS
from gradlab.study.batched.fit import MemberHistory, Observer
from gradlab.study.batched.member import Ensemble
from gradlab.study.batched.mlp import Trace

F64 = torch.float64


class _Site:
    """One activation site of every member: running unit maxima and float64 sums."""

    def __init__(self, name: str, groups: list[tuple[list[int], Any]], size: int):
        self.name = name
        self.groups = groups  # (member indices, ActivationInfo) with identical parameters
        info = groups[0][1]
        # a slope sweep can mix members that can die (slope 0) with members that cannot
        self.dies = torch.zeros(size, dtype=torch.bool)
        for idx, member_info in groups:
            self.dies[idx] = bool(member_info.can_die)
        self.can_die = bool(self.dies.any())
        self.bounded = info.bounded
        self.size = size
        self.seen = False
        self.reset()

    def reset(self) -> None:
        self.runmax: Tensor | None = None
        self.sums: dict[str, Tensor] = {}
        self.n_pre = 0.0
        self.n_out = 0.0
        self.n_units_seen = 0.0

    def _add(self, key: str, value: Tensor) -> None:
        self.sums[key] = self.sums[key] + value if key in self.sums else value

    def _derivative(self, z: Tensor) -> Tensor:
        if len(self.groups) == 1:
            return self.groups[0][1].derivative(z).abs()
        d = torch.empty_like(z)
        for idx, info in self.groups:
            d[idx] = info.derivative(z[idx]).abs()
        return d

    def observe(self, z: Tensor, y: Tensor, sampled: bool) -> None:
        z = z.detach()
        self.seen = True
        deriv = None
        if self.can_die:
            deriv = self._derivative(z)
            # per member, per unit: the largest |f'(z)| over the samples (alive if > threshold)
            m = deriv.amax(dim=1)
            self.runmax = m if self.runmax is None else torch.maximum(self.runmax, m)
        if not sampled:
            return
        s1, s2, neg, _ = MS.moments(z)
        for k, v in (("pre_s1", s1), ("pre_s2", s2), ("pre_neg", neg)):
            self._add(k, v)
        self.n_pre += z[0].numel()
        if self.bounded:
            d = deriv if deriv is not None else self._derivative(z)
            count, units = MS.saturation(d, self.groups[0][1].saturation_threshold)
            self._add("sat_count", count)
            self._add("sat_units", units)
            self.n_units_seen += z.shape[-1]
        o1, o2, _, zero = MS.moments(y)
        for k, v in (("out_s1", o1), ("out_s2", o2), ("out_zero", zero), ("out_nonfinite", MS.nonfinite(y))):
            self._add(k, v)
        self.n_out += y[0].numel()

    def _thresholds(self) -> Tensor:
        thr = torch.empty(self.size, 1, dtype=self.runmax.dtype)
        for idx, info in self.groups:
            thr[idx] = info.dead_threshold
        return thr

    def report(self, reset: bool = True) -> tuple[dict[str, Tensor], dict[str, Tensor]]:
        """The window's stats per member (names as the watch's ``ActivationSite.report``).

        Returns ``(values, skip)``: ``skip[stat]`` marks the members that do not report ``stat``
        (a member that cannot die reports no ``n_units``).
        """
        out: dict[str, Tensor] = {}
        skip: dict[str, Tensor] = {}
        zero = torch.zeros(self.size, dtype=F64)
        if self.runmax is not None:
            alive = self.runmax > self._thresholds()
            n_units = alive.shape[1]
            dead = torch.where(self.dies, (~alive).sum(1).to(F64), zero)
            out.update(dead_frac=dead / n_units, dead_units=dead,
                       n_units=torch.full((self.size,), float(n_units), dtype=F64))
            skip["n_units"] = ~self.dies
        elif self.seen and not bool(self.dies.all()):
            out.update(dead_frac=zero, dead_units=zero)
            skip["dead_frac"] = skip["dead_units"] = self.dies
        if self.n_pre > 0:
            s = self.sums
            mean, std, frac = MS.mean_std_frac(self.n_pre, s["pre_s1"], s["pre_s2"], s["pre_neg"])
            out.update(pre_mean=mean, pre_std=std, neg_frac=frac)
            mean, std, frac = MS.mean_std_frac(self.n_out, s["out_s1"], s["out_s2"], s["out_zero"])
            out.update(out_mean=mean, out_std=std, zero_frac=frac, nonfinite_out=s["out_nonfinite"])
            if self.bounded:
                out.update(sat_frac=s["sat_count"] / max(self.n_pre, 1.0),
                           sat_unit_frac=s["sat_units"] / max(self.n_units_seen, 1.0))
        if reset:
            self.reset()
        return out, skip


class _Forward:
    """Per Linear layer, on sampled steps: non-finite inputs/outputs and the output-gradient norm."""

    def __init__(self, names: list[str], size: int):
        self.names = names
        self.size = size
        self.acc: dict[str, dict[str, Tensor]] = {}
        self.armed: set[str] = set()

    def observe(self, trace: Trace, x: Tensor) -> None:
        inputs = [x] + [trace.out[a] for a in list(trace.out)]
        for name, inp in zip(self.names, inputs):
            z = trace.linear_out[name]
            acc = self.acc.setdefault(name, {"grad_sq": torch.zeros(self.size, dtype=F64),
                                             "in": torch.zeros(self.size, dtype=F64),
                                             "out": torch.zeros(self.size, dtype=F64)})
            if inp.dim() == 2:  # the shared input: one count for every member
                acc["in"] += (~torch.isfinite(inp)).sum().to(F64)
            else:
                acc["in"] += MS.nonfinite(inp)
            acc["out"] += MS.nonfinite(z)
            if z.grad is not None:
                acc["grad_sq"] += MS.norms(z.grad).to(F64) ** 2
                self.armed.add(name)

    def report(self, reset: bool = True) -> dict[tuple[str, str], Tensor]:
        out = {}
        for name, acc in self.acc.items():
            if name in self.armed:
                out[(name, "out_grad_norm")] = acc["grad_sq"].sqrt()
            out[(name, "nonfinite_in")] = acc["in"].clone()
            out[(name, "nonfinite_out")] = acc["out"].clone()
            if reset:
                for t in acc.values():
                    t.zero_()
        if reset:
            self.armed.clear()
        return out


class _Params:
    """Gradient, weight, update and symmetry vitals of the Linear layers, per member.

    Squares are taken in float32 and summed in float64, as :class:`gradlab.watch.params.ParamLayers`
    does, so the two agree to float32 rounding.
    """

    def __init__(self, ens: Ensemble):
        self.net = ens.net
        self.before: list[Tensor] | None = None

    def _layers(self):
        for name, w, b in zip(self.net.linear_names, self.net.weights, self.net.biases):
            yield name, [("weight", w)] + ([("bias", b)] if b is not None else [])

    def grad_stats(self) -> dict[tuple[str, str], Tensor]:
        """Norms, ratios, non-finite counts and row symmetry, before the optimizer step."""
        out: dict[tuple[str, str], Tensor] = {}
        for name, params in self._layers():
            wn = {p: MS.norms(t) for p, t in params}
            wsq = sum((n * n).to(F64) for n in wn.values())
            if all(t.grad is not None for _, t in params):
                gn = {p: MS.norms(t.grad) for p, t in params}
                for p, n in gn.items():
                    out[(name, f"grad_norm/{p}")] = n.to(F64)
                gnorm = sum((n * n).to(F64) for n in gn.values()).sqrt()
                out[(name, "grad_norm")] = gnorm
                out[(name, "grad_weight_ratio")] = gnorm / wsq.sqrt().clamp_min(1e-30)
                out[(name, "nonfinite_grad")] = sum(MS.nonfinite(t.grad) for _, t in params)
            out[(name, "weight_norm")] = wsq.sqrt()
            out[(name, "nonfinite_weight")] = sum(MS.nonfinite(t) for _, t in params)
            w = params[0][1]
            if w.shape[1] > 1:
                out[(name, "row_symmetry")] = MS.row_symmetry(w, wn["weight"] * wn["weight"])
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
            dsq = sum((n * n).to(F64) for n in dn)
            osq = sum((n * n).to(F64) for n in on)
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
        size = ens.net.size
        self.vitals = [Vitals() for _ in range(size)]
        self.sites = [_Site(name, self._groups(act), size)
                      for name, act in zip(ens.net.act_names, ens.net.acts)]
        self.forward = _Forward(ens.net.linear_names, size)
        self.params = _Params(ens)
        self.pending: dict[tuple[str, str], Tensor] = {}
        self.losses: list[tuple[int, Tensor]] = []  # logged, not yet pulled
        self.last_report = -1
        self.stopped: set[int] = set()
        self._layers: list | None = None

    @staticmethod
    def _groups(act) -> list[tuple[list[int], Any]]:
        from gradlab.components.activations import activation_info

        return [(idx, activation_info(module)) for idx, module in act.member_groups()]

    def sampled(self, step: int) -> bool:
        return step % self.every == 0

    def wants_trace(self, step: int) -> bool:
        return True  # the dead-unit masks see every training forward

    def after_backward(self, step: int, trace: Trace | None, loss: Tensor) -> None:
        sampled = self.sampled(step)
        for site in self.sites:
            site.observe(trace.pre[site.name], trace.out[site.name], sampled)
        if sampled:
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
        self.losses.append((step, self._loss))

    def _report(self, step: int, reset: bool, values: dict | None = None, only: int | None = None) -> None:
        values = dict(values or {})
        skips: dict[tuple[str, str], Tensor] = {}
        for site in self.sites:
            site_values, site_skip = site.report(reset)
            values.update({(site.name, stat): v for stat, v in site_values.items()})
            skips.update({(site.name, stat): m for stat, m in site_skip.items()})
        values.update(self.forward.report(reset))
        members = [only] if only is not None else [i for i in range(self.ens.net.size) if i not in self.stopped]
        keys = list(values)
        table = torch.stack([values[k].to(F64) for k in keys], 1)[members].tolist() if keys else [[]] * len(members)
        loss_table = torch.stack([v for _, v in self.losses], 1)[members].tolist() if self.losses else None
        for row_i, i in enumerate(members):
            vit = self.vitals[i]
            for key, value in zip(keys, table[row_i]):
                if key in skips and bool(skips[key][i]):
                    continue
                vit.add(step, key[0], key[1], value)
            if loss_table is not None:
                lv = loss_table[row_i]
                for (s, _), value in zip(self.losses, lv):
                    vit.add(s, "", "loss", value)
                vit.add(step, "", "loss_nonfinite", float(sum(1 for v in lv if not math.isfinite(v))))
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

    def member_report(self, i: int, hist: MemberHistory, rules: Any) -> tuple[list, list, list]:
        """``(vitals rows per epoch, findings, layers)`` of member ``i``, as ``run_trial`` makes them."""
        from gradlab.diagnose import diagnose
        from gradlab.train.experiment import epoch_vitals

        done = list(zip([row["epoch"] for row in hist.rows], hist.epoch_steps))
        layers = self.layers()
        findings = [f.to_dict() for f in diagnose(self.vitals[i], layers, rules=rules)]
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
