"""Activation sites and Linear-layer forward vitals of every member of an ensemble.

The per-member twins of :class:`gradlab.watch.probes.ActivationSite` and of the watch's
forward hooks on parametric layers: the same windows, the same stat names, a member dimension.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from gradlab.study.batched import member_stats as MS
from gradlab.study.batched.trace import Trace

F64 = torch.float64


class Site:
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
        assert self.runmax is not None
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


class ForwardStats:
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
