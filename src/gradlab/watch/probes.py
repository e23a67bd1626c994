"""Activation sites: dead-unit masks every step, moments and saturation on sampled steps.

A site is one place where an activation runs: an activation module (``encoder.act1``), the k-th
call of a shared one (``act#1``) or a functional call attributed to its module
(``encoder.block1:relu#0``). The site keeps, on the device, a running per-unit maximum of
``|f'(z)|`` (the alive mask: a unit is alive once its local gradient was above the dead
threshold on some sample of the window) and a :class:`~gradlab.watch.host_sums.HostAcc` of raw
sums (each a 0-d device tensor, read with the report's single transfer); :meth:`report` turns
both into vitals and starts a new window. On the CPU the mask is kept cheaper, with the same
verdicts: a smooth activation's from the per-unit maximum of ``z`` (see ``_fold_smooth``), and
a window in which every unit already had gradient skips its remaining calls.

With ``members`` the site watches one activation layer of an ensemble trained on a member axis
(``[M, N, ...]`` tensors): the same statistics, each kept per member (unit maxima ``[M, units]``,
sums ``[M]``), reported per member by :meth:`ActivationSite.report_members`.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from gradlab.watch import stats as S
from gradlab.watch.host_sums import HostAcc

# Activations whose derivative is nonzero exactly where z > 0: the dead mask is max(z) > 0,
# which also holds for the output (relu(z) > 0 iff z > 0), so inplace modules need no pre-hook.
_POSITIVE_PART = {"relu"}

# The alive mask of an activation whose f' is a function of z alone (``info.pointwise``) is
# decided from the per-unit maximum of z on devices where reading a flag back is free: see
# ActivationSite._fold_smooth.
_HOST_READ_FREE = {"cpu"}
# |f'(m)| must exceed the dead threshold by this fraction of sup |f'| to prove a unit alive: far
# above the ~1e-7 by which two code paths of one float32 kernel can disagree near f' = 0.
_MARGIN = 1e-4

# Up to this many values, a ReLU site keeps an elementwise running maximum of the whole
# pre-activation (one cheap op per call; reduced to units at report time) instead of a
# per-unit ``amax`` per call, whose fixed cost dominates on small tensors.
SMALL = 1 << 14


class ActivationSite:
    """Streaming vitals of one activation site.

    Args:
        name: the layer name reported in vitals.
        info: the activation's :class:`~gradlab.components.act_info.ActivationInfo`.
        channels_first: read 3-dim tensors as ``[N, C, L]`` (after a conv) rather than ``[N, T, F]``.
        members: the tensors have a leading member axis of this size (an ensemble).
    """

    def __init__(self, name: str, info, channels_first: bool = False, members: int | None = None):
        self.name = name
        self.info = info
        self.channels_first = channels_first
        self.fast = info.name in _POSITIVE_PART and info.dead_threshold == 0.0
        self.smooth = not self.fast and info.pointwise
        self.enabled = True
        self.members = members
        self.dims: tuple[int, ...] | None = None  # one member's sample dims (reduced per unit)
        self._red: tuple[int, ...] = ()  # the dims reduced on the tensors seen (member axis kept)
        self.runmax: Tensor | None = None
        # every unit had gradient on some sample of this window: nothing the window still sees
        # can make one dead, so the alive mask skips the rest of it (set on host-read-free devices)
        self.alive = False
        self.fullmax: Tensor | None = None  # elementwise running max (small ReLU inputs)
        self.acc = HostAcc(S.ACC_SIZE, members)
        self.hist: dict[str, tuple[Tensor, list[float]]] = {}
        self._nd = -1

    # -- per call ---------------------------------------------------------------------------
    def _layout(self, x: Tensor) -> tuple[int, ...]:
        """The dims of ``x`` to reduce per unit (past the member axis when there is one)."""
        dims = S.unit_layout(x[0] if self.members else x, self.channels_first)
        if dims is None:
            raise ValueError(f"activation output of shape {tuple(x.shape)} has no units")
        red = tuple(d + 1 for d in dims) if self.members else dims
        if self.dims is None:
            self.dims, self._red, self._nd = dims, red, x.dim()
        return red

    def observe_pre(self, z: Tensor, sampled: bool, hist_bins: int = 0, proofs=None) -> None:
        """Record the pre-activation ``z``: the alive mask always, moments when ``sampled``.

        ``proofs`` (a dict) receives ``id(z) -> (z, Σz²)``: a finite sum of squares proves every
        entry finite, which the engine reuses for the producing layer's ``nonfinite_out``.
        """
        zf = S.as_float(z)
        dims = self._red if self.dims is not None and zf.dim() == self._nd else self._layout(zf)
        info = self.info
        members = self.members is not None
        deriv = None
        if info.can_die and not self.alive:
            if self.fast:
                # a sampled step ends the window: settling it then would save nothing
                self._fold_full(zf, dims, settle=not sampled)
            elif self.smooth and zf.device.type in _HOST_READ_FREE and not (sampled and info.bounded):
                self._fold_smooth(zf, dims, settle=not sampled)
            else:
                deriv = info.derivative(zf)
                self._fold_units(S.unit_absmax(deriv, dims))
        if not sampled:
            return
        acc = self.acc
        if self.fast:
            sq = S.queue_relu_moments(zf, acc, S.PRE_S1, members)
        else:
            sq = S.queue_moments(zf, acc, S.PRE_S1, signs=True, members=members)
        if proofs is not None:
            proofs.setdefault(id(z), (z, sq))
        acc.vals[S.PRE_N] += zf[0].numel() if members else zf.numel()
        if info.bounded:
            d = (deriv if deriv is not None else info.derivative(zf)).abs()
            own = tuple(i - 1 for i in dims) if members else dims  # saturation takes one member's dims
            count, units, n_units = S.saturation(d, info.saturation_threshold, own, members)
            acc.add(S.SAT_COUNT, count)
            acc.add(S.SAT_UNITS, units)
            acc.vals[S.SAT_UNITS_N] += n_units
        if hist_bins and "pre" not in self.hist:
            h = S.histogram(zf, hist_bins)
            if h is not None:
                self.hist["pre"] = h

    def _fold_units(self, m: Tensor) -> None:
        runmax = self.runmax
        if runmax is None:
            self.runmax = m
        elif runmax.shape != m.shape:
            raise ValueError(f"unit count changed from {runmax.numel()} to {m.numel()}")
        else:
            torch.maximum(runmax, m, out=runmax)

    def _fold_smooth(self, zf: Tensor, dims: tuple[int, ...], settle: bool = False) -> None:
        """Fold one call into the alive mask from the per-unit maximum ``m`` of ``z``.

        The sample ``m`` is one of the unit's samples: when ``|f'(m)|`` is clearly above the
        dead threshold the unit is alive this call, whatever its other samples. That holds for
        every unit of a healthy layer, and costs one reduction and ``f'`` on a vector of units
        instead of ``f'`` on every sample. Where it fails for some unit -- one deep in the flat
        tail (float32 GELU's ``f'`` is 0 below about -6.15), or whose maximum sits where ``f'``
        crosses zero (GELU's at z = -0.7518: its other samples may have gradient) -- ``f'`` is
        evaluated on the whole call, as without the shortcut. Either way the value folded is
        above the threshold exactly when the unit's ``max |f'(z)|`` over the call is.

        "Clearly" (``_MARGIN``): the kernel's vectorised and scalar code paths, taken by
        contiguous and strided tensors, round ``f'`` near zero differently (float32 GELU's
        ``f'(-0.75179136)`` is 0 in one, 6e-8 in the other), so a value that one layout may
        round to zero never decides alone.

        ``settle`` (a non-sampled call): after a full evaluation, also check whether every unit
        has had gradient in the window (a saturated tanh layer's maxima have none, most of its
        units do), so that the window's remaining calls are skipped.
        """
        info = self.info
        d = info.derivative(S.unit_max(zf, dims)).abs_()
        if not bool((d <= info.dead_threshold + _MARGIN * info.grad_max).any()):  # host read: see _HOST_READ_FREE
            self.alive = True
            self._fold_units(d)
            return
        self._fold_units(S.unit_absmax(info.derivative(zf), dims))
        if settle:
            self.alive = bool((self.runmax > info.dead_threshold).all())

    def _fold_full(self, zf: Tensor, dims: tuple[int, ...], settle: bool = False) -> None:
        buf = self.fullmax
        if buf is not None and buf.shape == zf.shape:
            torch.maximum(buf, zf, out=buf)
            return
        self.unit_max()  # another batch shape: fold the buffer into the per-unit maximum
        if zf.numel() <= SMALL:
            self.fullmax = zf.clone()
        else:
            self._fold_units(S.unit_max(zf, dims))
            if settle and zf.device.type in _HOST_READ_FREE:
                self.alive = bool((self.runmax > self.info.dead_threshold).all())

    def unit_max(self) -> Tensor | None:
        """The per-unit running maximum, with the elementwise buffer folded in."""
        buf = self.fullmax
        if buf is not None:
            self.fullmax = None
            dims = self._layout(buf)
            self._fold_units(S.unit_max(buf, dims) if dims else buf)
        return self.runmax

    def observe_out(self, y: Tensor, hist_bins: int = 0, defer=None, proofs=None) -> None:
        """Record the output ``y`` (sampled steps only).

        ``defer(acc, index, tensor, proof)`` hands the non-finite count to the engine, which
        counts exactly only when ``proof`` (``Σy²``) is not finite; without it the count runs here.
        """
        yf = S.as_float(y)
        acc = self.acc
        members = self.members is not None
        # relu(z) == 0 exactly where z <= 0: one count_nonzero of the output gives n_pos, which
        # yields both the output's zero count and the input's negative count (no temporaries).
        sq = S.queue_moments(yf, acc, S.OUT_S1, signs=not self.fast, members=members)
        if self.fast:  # completes the input's Σsign (see stats.queue_relu_moments)
            acc.add(S.PRE_SGN, S.count_nonzero(S.flat_rows(yf, members)), 2.0)
        if defer is not None:
            defer(acc, S.OUT_NONFINITE, yf, sq)
        else:
            acc.add(S.OUT_NONFINITE, S.nonfinite_count(yf, members))
        if proofs is not None:
            proofs.setdefault(id(y), (y, sq))
        acc.vals[S.OUT_N] += yf[0].numel() if members else yf.numel()
        if hist_bins and "out" not in self.hist:
            h = S.histogram(yf, hist_bins)
            if h is not None:
                self.hist["out"] = h

    # -- per report -------------------------------------------------------------------------
    def report_tensors(self) -> Tensor | None:
        """The window's per-unit maximum (a device vector, or None).

        The engine reads these for all sites in one transfer, together with the queued sums,
        and counts the dead units on the host before calling :meth:`report`.
        """
        return self.unit_max()

    def report(self, acc: list[float] | None, dead: float | None, n_units: int) -> tuple[list[str], list[float]]:
        """Stat names and values of the window just closed from the host copies; resets the window."""
        out = self._values(acc, dead, n_units)
        self.reset()
        return out

    def report_members(self, dead: list[float] | None, n_units: int,
                       reset: bool = True) -> list[tuple[list[str], list[float]]]:
        """:meth:`report` of every member (``members`` set), from its drained sums and dead count.

        ``reset=False`` reads the window without closing it (a member that stopped early).
        """
        assert self.members is not None, "a site without members"
        out = []
        for i in range(self.members):
            acc = self.acc.member(i)
            out.append(self._values(acc if acc[S.PRE_N] > 0 else None, None if dead is None else dead[i], n_units))
        if reset:
            self.reset()
        return out

    def reset(self) -> None:
        """Start a new window."""
        self.runmax = None
        self.alive = False
        self.acc.reset()

    def _values(self, acc: list[float] | None, dead: float | None, n_units: int) -> tuple[list[str], list[float]]:
        names: list[str] = []
        vals: list[float] = []
        info = self.info
        if dead is not None:
            names += ["dead_frac", "dead_units", "n_units"]
            vals += [dead / n_units, dead, float(n_units)]
        elif not info.can_die and self.dims is not None:
            names += ["dead_frac", "dead_units"]
            vals += [0.0, 0.0]
        if acc is not None and acc[S.PRE_N] > 0:
            names += ["pre_mean", "pre_std", "neg_frac"]
            vals += _mean_std_frac(acc, S.PRE_N, S.PRE_S1, S.PRE_S2, (acc[S.PRE_NZ] - acc[S.PRE_SGN]) * 0.5)
            if acc[S.OUT_N] > 0:
                names += ["out_mean", "out_std", "zero_frac", "nonfinite_out"]
                if self.fast:  # relu(z) == 0 where z <= 0: n_out - n_pos(z)
                    zero = acc[S.OUT_N] - (acc[S.PRE_NZ] + acc[S.PRE_SGN]) * 0.5
                else:
                    zero = acc[S.OUT_N] - acc[S.OUT_NZ]
                vals += _mean_std_frac(acc, S.OUT_N, S.OUT_S1, S.OUT_S2, zero)
                vals.append(acc[S.OUT_NONFINITE])
            if info.bounded:
                names += ["sat_frac", "sat_unit_frac"]
                vals += [acc[S.SAT_COUNT] / max(acc[S.PRE_N], 1.0), acc[S.SAT_UNITS] / max(acc[S.SAT_UNITS_N], 1.0)]
        return names, vals


def _mean_std_frac(acc: list[float], n_i: int, s1_i: int, s2_i: int, count: float) -> list[float]:
    n = max(acc[n_i], 1.0)
    mean = acc[s1_i] / n
    var = acc[s2_i] / n - mean * mean
    # max() would turn NaN into 0; keep NaN so a non-finite window reads non-finite.
    return [mean, math.sqrt(var) if var > 0 else (var if var != var else 0.0), count / n]
