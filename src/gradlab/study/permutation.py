"""Exact permutation tests for a handful of seeds, and the intervals that invert them.

Why not a t-test: a study has 2-10 seeds per configuration and its outcomes are far from normal
(a seed's network either dies or learns), and a t-test on two seeds that happen to differ by the
same amount reports p = 0. A permutation test assumes only that, without an effect, the labels
could be swapped: for paired seeds the sign of each difference (the sign-flip test), for unpaired
groups which trial belongs to which group. Its p-value is the share of relabellings whose
statistic is at least as extreme as the observed one, so it can never be smaller than what the
seeds can show: with n paired seeds at least ``2 / 2**n`` (0.5 for two seeds).

Each test is evaluated at a shift ``delta`` (the effect it tests), and the confidence interval is
the set of shifts it does not reject at level alpha: the interval and the p-value come from one
test, so the interval excludes zero exactly when the test rejects a zero effect.

Relabellings are enumerated when there are at most :data:`EXACT_LIMIT`; beyond that a fixed-seed
random subset of :data:`DRAWS` (the identity included) stands in, so results stay deterministic.
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

EXACT_LIMIT = 1 << 16
DRAWS = 20_000
# a relabelled statistic within this (relative) distance of the observed one counts as a tie:
# float sums of the same numbers in another order differ in the last bits
_RTOL = 1e-9


@dataclass
class ShiftTest:
    """A permutation test of "the effect equals delta", ready to be evaluated at any delta.

    Attributes:
        estimate: the observed effect (mean difference).
        exact: whether every relabelling is enumerated.
        relabellings: how many relabellings the p-value is a share of.
        min_p: the smallest p-value this test can give at all (the seeds' resolution).
        span: shifts outside ``[span[0], span[1]]`` all give ``min_p`` (the search bracket).
    """

    estimate: float
    exact: bool
    relabellings: int
    min_p: float
    span: tuple[float, float]
    p_at: Callable[[float], float] = field(repr=False, default=lambda delta: math.nan)

    def p(self, delta: float = 0.0) -> float:
        """Two-sided p-value of "the effect equals ``delta``"."""
        return self.p_at(delta)


def _share_as_extreme(stats: np.ndarray, observed: float, scale: float) -> float:
    tol = _RTOL * max(scale, 1e-300)
    return float(np.count_nonzero(np.abs(stats) >= abs(observed) - tol)) / len(stats)


@functools.lru_cache(maxsize=8)
def _sign_matrix(n: int) -> tuple[np.ndarray, bool]:
    if 2**n <= EXACT_LIMIT:
        signs = np.array(list(itertools.product((1.0, -1.0), repeat=n))).reshape(-1, n)
        exact = True
    else:
        signs = np.random.default_rng(0).choice((1.0, -1.0), size=(DRAWS, n))
        signs[0] = 1.0  # the observed labelling is one of the relabellings
        exact = False
    signs.flags.writeable = False  # shared by every call through the cache
    return signs, exact


def sign_flip_test(diffs: list[float]) -> ShiftTest:
    """Paired test of the mean of ``diffs`` (one difference per shared seed).

    Under "the mean difference is delta", each ``d - delta`` is as likely positive as negative;
    the statistic is the mean of ``sign * (d - delta)`` over every choice of signs.
    """
    d = np.asarray(diffs, dtype=float)
    n = len(d)
    signs, exact = _sign_matrix(n)
    scale = float(np.abs(d).max(initial=0.0)) + 1.0

    def p_at(delta: float) -> float:
        centred = d - delta
        stats = signs @ centred / n
        return _share_as_extreme(stats, float(centred.mean()), scale)

    # a zero difference keeps its value whatever its sign: only the others can flip
    nonzero = int(np.count_nonzero(d))
    min_p = 1.0 if nonzero == 0 else 2.0 / 2**nonzero if exact else max(2.0 / 2**nonzero, 1.0 / DRAWS)
    return ShiftTest(float(math.fsum(d) / n), exact, len(signs), min_p,
                     (float(d.min()), float(d.max())), p_at)


@functools.lru_cache(maxsize=8)
def _split_masks(n_a: int, n: int) -> tuple[np.ndarray, bool]:
    exact = math.comb(n, n_a) <= EXACT_LIMIT
    if exact:
        chosen = np.array(list(itertools.combinations(range(n), n_a))).reshape(-1, n_a)
    else:
        chosen = np.random.default_rng(0).random((DRAWS, n)).argsort(axis=1)[:, :n_a]
        chosen[0] = np.arange(n_a)  # the observed split is one of the relabellings
    masks = np.zeros((len(chosen), n))
    np.put_along_axis(masks, chosen, 1.0, axis=1)
    masks.flags.writeable = False
    return masks, exact


def two_sample_test(a: list[float], b: list[float]) -> ShiftTest:
    """Unpaired test of mean(a) - mean(b): which trials form group ``a`` is relabelled.

    Under "the difference is delta", ``a`` and ``b + delta`` are exchangeable.
    """
    xa, xb = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    n_a, n = len(xa), len(xa) + len(xb)
    masks, exact = _split_masks(n_a, n)
    scale = float(max(np.abs(xa).max(), np.abs(xb).max())) + 1.0

    def p_at(delta: float) -> float:
        pooled = np.concatenate([xa, xb + delta])
        in_a = masks @ pooled
        stats = in_a / n_a - (pooled.sum() - in_a) / (n - n_a)
        observed = float(xa.mean() - (xb + delta).mean())
        return _share_as_extreme(stats, observed, scale)

    # the observed split and, for equal sizes, its mirror are the only ones as extreme
    min_p = ((2.0 if n_a == n - n_a else 1.0) / len(masks)) if exact else 1.0 / DRAWS
    estimate = math.fsum(a) / len(a) - math.fsum(b) / len(b)
    span = (float(xa.min() - xb.max()), float(xa.max() - xb.min()))
    return ShiftTest(estimate, exact, len(masks), min_p, span, p_at)


def invert(test: ShiftTest, alpha: float, bounds: tuple[float, float]) -> tuple[float, float]:
    """The (1 - alpha) interval: the shifts the test does not reject, within ``bounds``.

    When the test cannot reject anything (``min_p >= alpha``, too few seeds) the interval is the
    whole of ``bounds`` — every effect the metric allows is still possible.
    """
    if test.min_p >= alpha:
        return bounds
    lo_end, hi_end = test.span

    def edge(accepted: float, rejected: float) -> float:
        # bisection on the boundary between a kept shift and a rejected one
        for _ in range(60):
            mid = 0.5 * (accepted + rejected)
            if mid in (accepted, rejected):
                break
            if test.p(mid) >= alpha:
                accepted = mid
            else:
                rejected = mid
        return accepted

    low = edge(test.estimate, lo_end) if test.p(lo_end) < alpha else lo_end
    high = edge(test.estimate, hi_end) if test.p(hi_end) < alpha else hi_end
    return max(low, bounds[0]), min(high, bounds[1])
