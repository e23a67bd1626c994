"""Fused on-device reductions behind the watch's vitals.

Every function here returns small tensors on the input's device and never syncs with the host.
Counting with boolean masks (``(x < 0).sum()``) is slow on CPU (a bool tensor, then an integer
sum); the moments below use ``sign`` and dot products instead, which run through the fast float
kernels and BLAS: ``sum(sign(x))`` is ``n_pos - n_neg`` and ``sign(x)·sign(x)`` is
``n_pos + n_neg``, so both counts come out of two cheap passes.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

F64 = torch.float64

# Layout of an activation site's accumulator (float64, summed over calls, steps and ranks).
# Raw sums only (SGN = Σsign, NZ = Σsign² = nonzero count); counts are derived at report time.
PRE_N, PRE_S1, PRE_S2, PRE_SGN, PRE_NZ, OUT_N, OUT_S1, OUT_S2, OUT_SGN, OUT_NZ, OUT_NONFINITE = range(11)
SAT_COUNT, SAT_UNITS, SAT_UNITS_N = range(11, 14)
ACC_SIZE = 14


def as_float(x: Tensor) -> Tensor:
    """Detach and promote half/bfloat16 to float32, so statistics of AMP runs are accurate."""
    x = x.detach()
    return x if x.dtype in (torch.float32, torch.float64) else x.float()


def foreach_norms(tensors: list[Tensor]) -> list[Tensor]:
    """2-norms of ``tensors`` in one fused call: accumulated in float32 for half/bfloat16 (whose
    own 8-bit mantissa would round the norm), in float64 when any tensor is float64."""
    wide = any(t.dtype == F64 for t in tensors)
    return list(torch._foreach_norm(tensors, 2, dtype=F64 if wide else torch.float32))


def unit_layout(x: Tensor, channels_first: bool) -> tuple[int, ...] | None:
    """The dims to reduce so that one value per unit remains.

    A unit is a feature of a Linear-shaped tensor ``[N, F]`` or ``[N, T, F]`` (last dim), or a
    channel of a conv-shaped one ``[N, C, H, W]`` (dim 1). Three-dim tensors are ambiguous
    (``[N, C, L]`` vs ``[N, T, F]``); the caller decides from the layer that produced them.
    Returns None for scalars.
    """
    nd = x.dim()
    if nd == 0:
        return None
    if nd == 1:
        return ()
    if nd >= 4 or (nd == 3 and channels_first):
        return (0,) + tuple(range(2, nd))
    return tuple(range(nd - 1))


def unit_max(x: Tensor, dims: tuple[int, ...]) -> Tensor:
    """Max over ``dims`` (all samples) of ``x``: one value per unit.

    A channels-first layout (``dims == (0, 2, ...)``) reduces the contiguous spatial dims
    first, then the batch: on CPU one reduction over the outer and inner dims at once runs a
    slow strided kernel (up to 10x slower on ``[64, 32, 32, 32]``).
    """
    if not dims:
        return x.clone()
    if len(dims) > 1 and dims[0] == 0 and dims[1] == 2:
        return x.amax(dim=dims[1:]).amax(0)
    return x.amax(dim=dims)


def unit_absmax(x: Tensor, dims: tuple[int, ...]) -> Tensor:
    """Max of ``|x|`` over ``dims``: one value per unit (NaN where a unit has a NaN).

    ``abs`` then :func:`unit_max`, not ``vector_norm(ord=inf)``: on CPU the norm reduces over
    outer dims with a slow kernel (15x slower on ``[8, 32, 256]`` over ``(0, 1)``).
    """
    a = x.abs()
    return unit_max(a, dims) if dims else a


def flat_rows(x: Tensor, members: bool) -> Tensor:
    """``x`` flat, or one flat row per member (leading member axis)."""
    return x.reshape(x.shape[0], -1) if members else x.reshape(-1)


def _dot(a: Tensor, b: Tensor) -> Tensor:
    """``a·b``: a BLAS dot, or one per row of an ensemble's ``[M, n]``.

    Not a batched ``bmm``: it sums each long row in one sequential float32 pass, whose rounding
    (1e-3 relative on 2,400 values near -1) would swamp the variance of a narrow pre-activation.
    """
    return torch.dot(a, b) if a.dim() == 1 else torch.linalg.vecdot(a, b)


def queue_moments(x: Tensor, acc, start: int, signs: bool = True, members: bool = False) -> Tensor:
    """Queue ``[Σx, Σx², Σsign x, Σsign² x]`` (or the first two) into ``acc`` from slot ``start``.

    ``acc`` is a :class:`~gradlab.watch.host_sums.HostAcc`. Float kernels and BLAS dots only
    (``n_neg = (Σsign² - Σsign) / 2``, ``n_zero = n - Σsign²``); the only temporary is
    ``sign x`` when ``signs``; each sum stays a 0-d tensor until the report reads them all at
    once. Returns ``Σx²`` (non-finite exactly when ``x`` holds NaN/inf: the finiteness proof).
    With ``members`` every sum is ``[M]``, one per member of the leading axis.
    """
    flat = flat_rows(x, members)
    sq = _dot(flat, flat)
    acc.add(start, flat.sum(-1))
    acc.add(start + 1, sq)
    if signs:
        sg = torch.sign(flat)
        acc.add(start + 2, sg.sum(-1))
        acc.add(start + 3, _dot(sg, sg))
    return sq


def queue_relu_moments(z: Tensor, acc, start: int, members: bool = False) -> Tensor:
    """:func:`queue_moments` of a ReLU's input without a temporary.

    Queues ``Σz, Σz²`` and the nonzero count ``Σsign²`` (one ``count_nonzero`` pass), and
    ``-Σsign²`` towards ``Σsign``: the output's hook adds ``2·n_pos`` there
    (``count_nonzero(relu(z))``, as ``relu(z) > 0`` iff ``z > 0``), which makes the slot
    ``n_pos - n_neg`` exactly. Returns ``Σz²`` (the finiteness proof).
    """
    flat = flat_rows(z, members)
    sq = _dot(flat, flat)
    nz = count_nonzero(flat)
    acc.add(start, flat.sum(-1))
    acc.add(start + 1, sq)
    acc.add(start + 2, nz, -1.0)
    acc.add(start + 3, nz)
    return sq


def count_nonzero(flat: Tensor) -> Tensor:
    """Nonzero entries of a flat tensor, or of each row of an ensemble's ``[M, n]``."""
    return torch.count_nonzero(flat) if flat.dim() == 1 else torch.count_nonzero(flat, dim=1)


def nonfinite_count(x: Tensor, members: bool = False) -> Tensor:
    """Number of NaN/inf entries, with float kernels only (x*0 is NaN exactly where x is not finite).

    With ``members`` the leading dimension is an ensemble's member axis: one count per member.
    """
    if members:
        flags = torch.nan_to_num(x.reshape(x.shape[0], -1) * 0.0, nan=1.0, posinf=1.0, neginf=1.0)
        return flags.sum(1).to(F64)
    flags = torch.nan_to_num(x.reshape(-1) * 0.0, nan=1.0, posinf=1.0, neginf=1.0)
    return flags.sum().to(F64)


def saturation(d: Tensor, threshold: float, dims: tuple[int, ...],
               members: bool = False) -> tuple[Tensor, Tensor, float]:
    """Saturated samples·units, saturated units (on more than half the samples), and unit count.

    ``d`` is ``|f'(z)|``; a sample of a unit is saturated when it is under ``threshold``. With
    ``members`` ``d`` has a leading member axis (``dims`` still name the sample dimensions of one
    member): the counts are ``[M]``, the unit count that of one member.
    """
    sat = (d < threshold).to(d.dtype)
    if members:
        share = sat.mean(dim=tuple(i + 1 for i in dims)) if dims else sat
        units = (share > 0.5).to(F64).reshape(share.shape[0], -1).sum(1)
        return sat.reshape(sat.shape[0], -1).sum(1).to(F64), units, float(share[0].numel())
    count = sat.sum().to(F64)
    share = sat.mean(dim=dims) if dims else sat
    units = (share > 0.5).to(F64).sum()
    return count, units, float(share.numel())


def row_symmetry(weight: Tensor, weight_sq: Tensor, members: bool = False) -> Tensor:
    """How far the rows of a weight matrix are from identical: 0 identical, ~1 random.

    ``sqrt(sum_i ||r_i - m||^2 / sum_i ||r_i||^2)`` with ``m`` the mean row, computed as
    ``sqrt(1 - out * ||m||^2 / ||W||^2)`` from the squared Frobenius norm the caller already has
    and one matrix-vector product for the mean row. For i.i.d. zero-mean rows it is
    ``sqrt(1 - 1/out)``. Differences under float32 resolution (relative 1e-6, i.e. values
    below 1e-3) read as exactly 0, so a zero- or constant-initialised layer reads 0.
    With ``members`` the weight is an ensemble's ``[M, out, ...]`` and ``weight_sq`` is ``[M]``.
    """
    if members:
        w = weight.detach().reshape(weight.shape[0], weight.shape[1], -1)
        w = w if w.dtype in (torch.float32, torch.float64) else w.float()
        out = w.shape[1]
        mean_row = w.mean(dim=1)
        ratio = out * (mean_row * mean_row).sum(1).to(F64) / weight_sq.to(F64).clamp_min(1e-300)
    else:
        w = weight.detach().reshape(weight.shape[0], -1)
        w = w if w.dtype in (torch.float32, torch.float64) else w.float()
        out = w.shape[0]
        mean_row = torch.mv(w.t(), w.new_full((out,), 1.0 / out))
        ratio = out * torch.dot(mean_row, mean_row).to(F64) / weight_sq.to(F64).clamp_min(1e-300)
    gap = 1.0 - ratio
    gap = torch.where((gap < 1e-6) | (weight_sq <= 0), torch.zeros_like(gap), gap)
    return gap.sqrt()


# A histogram is an estimate of a distribution: past this many values, it is computed from a
# fixed strided subset of whole samples (rows), which keeps every unit represented.
HIST_VALUES = 1 << 14


def histogram_rows(x: Tensor) -> Tensor:
    """The values a histogram of ``x`` uses: all of them up to :data:`HIST_VALUES`, else every
    ``s``-th sample (first dim) for the smallest ``s`` that keeps at most ``HIST_VALUES`` values
    (at least one whole sample). A view, no copy."""
    n = x.numel()
    if n <= HIST_VALUES or x.dim() < 2 or x.shape[0] < 2:
        return x
    per_row = n // x.shape[0]
    keep = max(1, HIST_VALUES // max(per_row, 1))
    stride = -(-x.shape[0] // keep)
    return x[::stride]


def histogram(x: Tensor, bins: int) -> tuple[Tensor, list[float]] | None:
    """Counts over ``bins`` equal bins spanning ``[min, max]`` of the values :func:`histogram_rows` keeps.

    The counts are those of the values used (their sum is their number, which is ``x.numel()``
    for tensors of at most :data:`HIST_VALUES` values). This reads the range to the host (one
    sync), so it only runs when histograms are requested. Returns None when ``x`` is empty or
    not finite.
    """
    flat = histogram_rows(x.detach()).reshape(-1)
    if flat.numel() == 0:
        return None
    flat = flat if flat.dtype == torch.float32 else flat.float()
    lo_t, hi_t = torch.aminmax(flat)
    lo, hi = float(lo_t), float(hi_t)
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return None
    if hi <= lo:
        hi = lo + 1e-6
    counts = torch.histc(flat, bins=bins, min=lo, max=hi)
    step = (hi - lo) / bins
    return counts, [lo + i * step for i in range(bins + 1)]
