"""Activation sites: dead-unit masks every step, moments and saturation on sampled steps.

A site is one place where an activation runs: an activation module (``encoder.act1``), the k-th
call of a shared one (``act#1``) or a functional call attributed to its module
(``encoder.block1:relu#0``). The site keeps, on the device, a running per-unit maximum of
``|f'(z)|`` (the alive mask: a unit is alive once its local gradient was above the dead
threshold on some sample of the window) and a float64 accumulator of sums; :meth:`report`
turns both into vitals and starts a new window.
"""

from __future__ import annotations

import torch
from torch import Tensor

from gradlab.watch import stats as S

# Activations whose derivative is nonzero exactly where z > 0: the dead mask is max(z) > 0,
# which also holds for the output (relu(z) > 0 iff z > 0), so inplace modules need no pre-hook.
_POSITIVE_PART = {"relu"}


class ActivationSite:
    """Streaming vitals of one activation site.

    Args:
        name: the layer name reported in vitals.
        info: the activation's :class:`~gradlab.components.act_info.ActivationInfo`.
        channels_first: read 3-dim tensors as ``[N, C, L]`` (after a conv) rather than ``[N, T, F]``.
    """

    def __init__(self, name: str, info, channels_first: bool = False):
        self.name = name
        self.info = info
        self.channels_first = channels_first
        self.fast = info.name in _POSITIVE_PART and info.dead_threshold == 0.0
        self.enabled = True
        self.dims: tuple[int, ...] | None = None
        self.runmax: Tensor | None = None
        self.acc: Tensor | None = None
        self.host_n = [0.0, 0.0, 0.0]  # pre samples, out samples, saturation units checked
        self.hist: dict[str, tuple[Tensor, list[float]]] = {}
        self._folded = False
        self._nd = -1

    # -- per call ---------------------------------------------------------------------------
    def _layout(self, x: Tensor) -> tuple[int, ...]:
        dims = S.unit_layout(x, self.channels_first)
        if dims is None:
            raise ValueError(f"activation output of shape {tuple(x.shape)} has no units")
        if self.dims is None:
            self.dims, self._nd = dims, x.dim()
        return dims

    def _acc(self, like: Tensor) -> Tensor:
        if self.acc is None:
            self.acc = torch.zeros(S.ACC_SIZE, dtype=S.F64, device=like.device)
        return self.acc

    def observe_pre(self, z: Tensor, sampled: bool, hist_bins: int = 0, proofs=None) -> None:
        """Record the pre-activation ``z``: the alive mask always, moments when ``sampled``.

        ``proofs`` (a dict) receives ``id(z) -> (z, Σz²)``: a finite sum of squares proves every
        entry finite, which the engine reuses for the producing layer's ``nonfinite_out``.
        """
        zf = S.as_float(z)
        dims = self.dims if self.dims is not None and zf.dim() == self._nd else self._layout(zf)
        info = self.info
        deriv = None
        if info.can_die:
            if self.fast:
                m = zf.amax(dim=dims) if dims else zf.clone()
            else:
                deriv = info.derivative(zf)
                m = S.unit_absmax(deriv, dims)
            runmax = self.runmax
            if runmax is None:
                self.runmax = m
            elif runmax.shape != m.shape:
                raise ValueError(f"unit count changed from {runmax.numel()} to {m.numel()}")
            else:
                torch.maximum(runmax, m, out=runmax)
        if not sampled:
            return
        acc = self._acc(zf)
        m = S.raw_moments(zf)
        acc[S.PRE_S1 : S.PRE_NZ + 1] += m
        if proofs is not None:
            proofs.setdefault(id(z), (z, m[1]))
        self.host_n[0] += zf.numel()
        if info.bounded:
            d = (deriv if deriv is not None else info.derivative(zf)).abs()
            count, units, n_units = S.saturation(d, info.saturation_threshold, dims)
            acc[S.SAT_COUNT] += count
            acc[S.SAT_UNITS] += units
            self.host_n[2] += float(n_units)
        if hist_bins and "pre" not in self.hist:
            h = S.histogram(zf, hist_bins)
            if h is not None:
                self.hist["pre"] = h

    def observe_out(self, y: Tensor, hist_bins: int = 0, defer=None, proofs=None) -> None:
        """Record the output ``y`` (sampled steps only).

        ``defer(acc, index, tensor, proof)`` hands the non-finite count to the engine, which
        counts exactly only when ``proof`` (``Σy²``) is not finite; without it the count runs here.
        """
        yf = S.as_float(y)
        acc = self._acc(yf)
        # relu(z) == 0 exactly where z <= 0: the output's zero count is the pre-activation's
        # n - (Σsign² + Σsign)/2, so a ReLU output needs no counting passes.
        m = S.raw_moments(yf, signs=not self.fast)
        acc[S.OUT_S1 : S.OUT_S1 + m.numel()] += m
        if defer is not None:
            defer(acc, S.OUT_NONFINITE, yf, m[1])
        else:
            acc[S.OUT_NONFINITE] += S.nonfinite_count(yf)
        if proofs is not None:
            proofs.setdefault(id(y), (y, m[1]))
        self.host_n[1] += yf.numel()
        if hist_bins and "out" not in self.hist:
            h = S.histogram(yf, hist_bins)
            if h is not None:
                self.hist["out"] = h

    # -- per report -------------------------------------------------------------------------
    def sum_state(self) -> Tensor | None:
        """The additive state (float64) with host counts folded in, ready for a cross-rank SUM.

        Call at most once per report, before :meth:`report`.
        """
        if self.acc is None or self._folded:
            return self.acc
        n = torch.tensor(self.host_n, dtype=S.F64)
        self.acc[[S.PRE_N, S.OUT_N, S.SAT_UNITS_N]] = n.to(self.acc.device)
        self._folded = True
        return self.acc

    def report(self) -> tuple[list[str], Tensor | None]:
        """Stat names and their values for the window just closed; then reset the window."""
        names: list[str] = []
        parts: list[Tensor] = []
        info = self.info
        if self.runmax is not None:
            alive = self.runmax > info.dead_threshold
            n_units = alive.numel()
            dead = (~alive).sum().to(S.F64)
            names += ["dead_frac", "dead_units", "n_units"]
            parts += [dead / n_units, dead, dead.new_tensor(float(n_units))]
        elif not info.can_die and self.dims is not None:
            names += ["dead_frac", "dead_units"]
            parts += [torch.zeros(2, dtype=S.F64)]
        acc = self.sum_state()
        if acc is not None and self.host_n[0] > 0:
            names += ["pre_mean", "pre_std", "neg_frac"]
            neg = (acc[S.PRE_NZ] - acc[S.PRE_SGN]) * 0.5
            parts.append(_mean_std_frac(acc, S.PRE_N, S.PRE_S1, S.PRE_S2, neg))
            if self.host_n[1] > 0:
                names += ["out_mean", "out_std", "zero_frac", "nonfinite_out"]
                if self.fast:  # relu(z) == 0 where z <= 0: n_out - n_pos(z)
                    zero = acc[S.OUT_N] - (acc[S.PRE_NZ] + acc[S.PRE_SGN]) * 0.5
                else:
                    zero = acc[S.OUT_N] - acc[S.OUT_NZ]
                parts.append(_mean_std_frac(acc, S.OUT_N, S.OUT_S1, S.OUT_S2, zero))
                parts.append(acc[S.OUT_NONFINITE : S.OUT_NONFINITE + 1])
            if info.bounded:
                names += ["sat_frac", "sat_unit_frac"]
                parts.append(acc[S.SAT_COUNT] / acc[S.PRE_N].clamp_min(1.0))
                parts.append(acc[S.SAT_UNITS] / acc[S.SAT_UNITS_N].clamp_min(1.0))
        self.runmax = None
        if self.acc is not None:
            self.acc.zero_()
        self.host_n = [0.0, 0.0, 0.0]
        self._folded = False
        if not parts:
            return [], None
        device = parts[0].device
        return names, torch.cat([p.reshape(-1).to(device) for p in parts])


def _mean_std_frac(acc: Tensor, n_i: int, s1_i: int, s2_i: int, count: Tensor) -> Tensor:
    n = acc[n_i].clamp_min(1.0)
    mean = acc[s1_i] / n
    var = (acc[s2_i] / n - mean * mean).clamp_min(0.0)
    return torch.stack([mean, var.sqrt(), count / n])
