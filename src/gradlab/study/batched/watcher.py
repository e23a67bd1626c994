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
        self.can_die = info.can_die
        self.bounded = info.bounded
        self.size = size
        self.runmax: Tensor | None = None
        self.reset()

    def reset(self) -> None:
        self.runmax = None
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
        per_member = z[0].numel()
        self.n_pre += per_member
        if self.bounded:
            d = deriv if deriv is not None else self._derivative(z)
            thr = self.groups[0][1].saturation_threshold
            count, units = MS.saturation(d, thr)
            self._add("sat_count", count)
            self._add("sat_units", units)
            self.n_units_seen += z.shape[-1]
        o1, o2, _, zero = MS.moments(y)
        for k, v in (("out_s1", o1), ("out_s2", o2), ("out_zero", zero), ("out_nonfinite", MS.nonfinite(y))):
            self._add(k, v)
        self.n_out += per_member

    def thresholds(self) -> Tensor:
        thr = torch.empty(self.size, 1, dtype=self.runmax.dtype)
        for idx, info in self.groups:
            thr[idx] = info.dead_threshold
        return thr

    def report(self) -> dict[str, Tensor]:
        out: dict[str, Tensor] = {}
        if self.runmax is not None:
            alive = self.runmax > self.thresholds()
            n_units = alive.shape[1]
            dead = (~alive).sum(1).to(F64)
            out.update(dead_frac=dead / n_units, dead_units=dead,
                       n_units=torch.full((self.size,), float(n_units), dtype=F64))
        elif not self.can_die:
            zero = torch.zeros(self.size, dtype=F64)
            out.update(dead_frac=zero, dead_units=zero)
        if self.n_pre > 0:
            s = self.sums
            mean, std, frac = MS.mean_std_frac(self.n_pre, s["pre_s1"], s["pre_s2"], s["pre_neg"])
            out.update(pre_mean=mean, pre_std=std, neg_frac=frac)
            mean, std, frac = MS.mean_std_frac(self.n_out, s["out_s1"], s["out_s2"], s["out_zero"])
            out.update(out_mean=mean, out_std=std, zero_frac=frac, nonfinite_out=s["out_nonfinite"])
            if self.bounded:
                out.update(sat_frac=s["sat_count"] / max(self.n_pre, 1.0),
                           sat_unit_frac=s["sat_units"] / max(self.n_units_seen, 1.0))
        self.reset()
        return out


class _Params:
    """Gradient, weight, update and symmetry vitals of the Linear layers, per member."""

    def __init__(self, ens: Ensemble):
        self.net = ens.net
        self.before: list[Tensor] | None = None

    def grad_stats(self) -> dict[tuple[str, str], Tensor]:
        """Norms, ratios, non-finite counts and row symmetry before the optimizer step."""
        out: dict[tuple[str, str], Tensor] = {}
        for name, w, b in zip(self.net.linear_names, self.net.weights, self.net.biases):
            params = [("weight", w)] + ([("bias", b)] if b is not None else [])
            wn = {p: MS.norms(t) for p, t in params}
            wsq = sum(n.to(F64) ** 2 for n in wn.values())
            if all(t.grad is not None for _, t in params):
                gn = {p: MS.norms(t.grad) for p, t in params}
                for p, n in gn.items():
                    out[(name, f"grad_norm/{p}")] = n.to(F64)
                gsq = sum(n.to(F64) ** 2 for n in gn.values())
                out[(name, "grad_norm")] = gsq.sqrt()
                out[(name, "grad_weight_ratio")] = gsq.sqrt() / wsq.sqrt().clamp_min(1e-30)
                out[(name, "nonfinite_grad")] = sum(MS.nonfinite(t.grad) for _, t in params)
            out[(name, "weight_norm")] = wsq.sqrt()
            out[(name, "nonfinite_weight")] = sum(MS.nonfinite(t) for _, t in params)
            if w.shape[1] > 1:
                out[(name, "row_symmetry")] = MS.row_symmetry(w, wn["weight"].to(F64) ** 2)
        self.before = [p.detach().clone() for p in self.net.parameters()]
        return out

    def update_stats(self) -> dict[tuple[str, str], Tensor]:
        """``||w_after - w_before|| / ||w_before||`` per layer and member."""
        if self.before is None:
            return {}
        out = {}
        it = iter(zip(self.net.parameters(), self.before))
        for name, b in zip(self.net.linear_names, self.net.biases):
            pairs = [next(it)] + ([next(it)] if b is not None else [])
            dsq = sum(MS.norms(p - old).to(F64) ** 2 for p, old in pairs)
            osq = sum(MS.norms(old).to(F64) ** 2 for _, old in pairs)
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
        self.params = _Params(ens)
        self.pending: dict[tuple[str, str], Tensor] = {}
        self.losses: list[tuple[int, Tensor]] = []
        self.stopped: set[int] = set()

    @staticmethod
    def _groups(act) -> list[tuple[list[int], Any]]:
        from gradlab.components.activations import activation_info

        return [(idx, activation_info(module)) for idx, module in act.member_groups()]

    def member_stopped(self, member: int) -> None:
        self._flush_losses()
        self.stopped.add(member)

    def wants_trace(self, step: int) -> bool:
        return True  # the dead-unit masks see every training forward

    def after_backward(self, step: int, trace: Trace | None, loss: Tensor) -> None:
        sampled = step % self.every == 0
        for site in self.sites:
            site.observe(trace.pre[site.name], trace.out[site.name], sampled)
        if sampled:
            self.pending = self.params.grad_stats()
        self.losses.append((step, loss.float()))

    def after_step(self, step: int) -> None:
        if step % self.every != 0:
            return
        values = dict(self.pending)
        values.update(self.params.update_stats())
        for site in self.sites:
            values.update({(site.name, stat): v for stat, v in site.report().items()})
        self._publish(step, values)
        self.pending = {}

    def _publish(self, step: int, values: dict[tuple[str, str], Tensor]) -> None:
        keys = list(values)
        table = torch.stack([values[k].to(F64) for k in keys], 1).tolist() if keys else []
        for i, row in enumerate(table):
            if i in self.stopped:
                continue
            for (layer, stat), value in zip(keys, row):
                self.vitals[i].add(step, layer, stat, value)

    def _flush_losses(self) -> None:
        if not self.losses:
            return
        steps = [s for s, _ in self.losses]
        table = torch.stack([v for _, v in self.losses], 1).tolist()
        for i, row in enumerate(table):
            if i in self.stopped:
                continue
            for s, value in zip(steps, row):
                self.vitals[i].add(s, "", "loss", value)
                self.vitals[i].add(s, "", "loss_nonfinite", 0.0 if value == value and abs(value) != float("inf") else 1.0)
        self.losses = []

    def member_report(self, i: int, hist: MemberHistory, rules: Any) -> tuple[list, list, list]:
        """``(vitals rows per epoch, findings, layers)`` of member ``i``, as ``run_trial`` makes them."""
        from gradlab.diagnose import diagnose
        from gradlab.train.experiment import epoch_vitals

        self._flush_losses()
        done = [(row["epoch"], row_steps) for row, row_steps in zip(hist.rows, hist.epoch_steps)]
        vitals = self.vitals[i]
        layers = self.layers()
        findings = [f.to_dict() for f in diagnose(vitals, layers, rules=rules)]
        return epoch_vitals(vitals.rows(), done), findings, [layer.to_dict() for layer in layers]

    def layers(self) -> list:
        """The watch's LayerInfo list for one member's model (all members share it)."""
        if not hasattr(self, "_layers"):
            from gradlab.watch.watch import watch

            model = copy.deepcopy(self.ens.builts[0].model)
            with watch(model) as w:
                x = self.ens.train.x[:2] if self.ens.train.x_shared else self.ens.train.x[0, :2]
                model(x).sum().backward()
            self._layers = list(w.layers)
        return self._layers
