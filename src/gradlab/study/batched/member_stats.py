"""The watch's statistics with a member dimension kept: ``[M, N, units]`` in, ``[M]`` out.

The watch's definitions (:mod:`gradlab.watch.stats`, called with ``members=True``) where they
exist; the sums below are the moments the watch accumulates, kept per member (float64), reduced
over the sample and unit dimensions only, so one pass gives every member its own value.
"""

from __future__ import annotations

import torch
from torch import Tensor

from gradlab.watch import stats as S

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
    """Per member count of NaN/inf entries (float64 ``[M]``): the watch's own count."""
    return S.nonfinite_count(x.detach(), members=True)


def saturation(d: Tensor, threshold: float) -> tuple[Tensor, Tensor]:
    """Per member: saturated samples·units, and units saturated on more than half the samples.

    ``d`` is ``|f'(z)|`` of shape ``[M, N, units]`` (the watch's definition, member axis kept).
    """
    count, units, _ = S.saturation(d, threshold, (0,), members=True)
    return count, units


def norms(t: Tensor) -> Tensor:
    """Per member L2 norm of ``t`` ``[M, ...]`` (float32, like ``torch._foreach_norm``)."""
    return torch.linalg.vector_norm(t.detach().reshape(t.shape[0], -1), dim=1).float()


def mean_std_frac(n: float, s1: Tensor, s2: Tensor, count: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """Mean, population std and share, from per-member sums over ``n`` values each."""
    n = max(n, 1.0)
    mean = s1 / n
    var = (s2 / n - mean * mean).clamp_min(0.0)
    return mean, var.sqrt(), count / n
