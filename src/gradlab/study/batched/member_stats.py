"""The watch's statistics with a member dimension kept: ``[M, N, units]`` in, ``[M]`` out.

Each function is the per-member twin of a reduction in :mod:`gradlab.watch.probes` /
:mod:`gradlab.watch.params` (same definitions, same float64 accumulation), reduced over the
sample and unit dimensions only, so one pass gives every member its own value.
"""

from __future__ import annotations

import torch
from torch import Tensor

F64 = torch.float64


def moments(x: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """Per member ``(sum, sum of squares, n_neg, n_zero)`` of ``x`` ``[M, ...]``, as float64 ``[M]``."""
    flat = x.detach().reshape(x.shape[0], -1)
    s1 = flat.sum(1).to(F64)
    s2 = (flat * flat).sum(1).to(F64)
    neg = (flat < 0).sum(1).to(F64)
    zero = (flat == 0).sum(1).to(F64)
    return s1, s2, neg, zero


def nonfinite(x: Tensor) -> Tensor:
    """Per member count of NaN/inf entries (float64 ``[M]``)."""
    return (~torch.isfinite(x.detach().reshape(x.shape[0], -1))).sum(1).to(F64)


def saturation(d: Tensor, threshold: float) -> tuple[Tensor, Tensor]:
    """Per member: saturated samples·units, and units saturated on more than half the samples.

    ``d`` is ``|f'(z)|`` of shape ``[M, N, units]``.
    """
    sat = (d < threshold).to(d.dtype)
    count = sat.sum(dim=(1, 2)).to(F64)
    units = (sat.mean(dim=1) > 0.5).sum(1).to(F64)
    return count, units


def norms(t: Tensor) -> Tensor:
    """Per member L2 norm of ``t`` ``[M, ...]`` (float32, like ``torch._foreach_norm``)."""
    return torch.linalg.vector_norm(t.detach().reshape(t.shape[0], -1), dim=1).float()


def row_symmetry(weight: Tensor, weight_sq: Tensor) -> Tensor:
    """Per member ``sqrt(1 - out * ||mean row||^2 / ||W||^2)``: 0 identical rows, ~1 random.

    ``weight`` is ``[M, out, in]``, ``weight_sq`` its per-member squared norm ``[M]``; the
    same float32 floor as the watch (gaps under 1e-6 read 0).
    """
    w = weight.detach().float()
    out = w.shape[1]
    mean_row = w.mean(dim=1)
    ratio = out * (mean_row * mean_row).sum(1).to(F64) / weight_sq.to(F64).clamp_min(1e-300)
    gap = 1.0 - ratio
    gap = torch.where((gap < 1e-6) | (weight_sq <= 0), torch.zeros_like(gap), gap)
    return gap.sqrt()


def mean_std_frac(n: float, s1: Tensor, s2: Tensor, count: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """Mean, population std and share, from per-member sums over ``n`` values each."""
    n = max(n, 1.0)
    mean = s1 / n
    var = (s2 / n - mean * mean).clamp_min(0.0)
    return mean, var.sqrt(), count / n
