"""Effects with confidence: per-group summaries and tests against a baseline.

A *group* is every trial of one configuration (all axes but the seed). For each group: n, mean,
standard deviation and a 95 % t-interval. For each group against its baseline: the difference of
means with its interval and a p-value — a paired t-test by seed when both groups have the same
seeds (the seed fixes data and initialization, so pairing removes that shared noise), Welch's
t-test otherwise — with Holm's step-down correction across all comparisons of a study.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from gradlab.study.tdist import t_ppf, t_two_sided_p


@dataclass
class Summary:
    """n, mean, std (n-1) and the t-interval of one sample."""

    n: int
    mean: float
    std: float
    ci_low: float
    ci_high: float


@dataclass
class TestResult:
    """A difference of means (a - b) with its interval and two-sided p-value."""

    test: str  # "paired" | "welch"
    diff: float
    ci_low: float
    ci_high: float
    p: float
    df: float
    n_a: int
    n_b: int
    p_holm: float | None = None
    extra: dict = field(default_factory=dict)


def _mean_var(values: list[float]) -> tuple[float, float]:
    n = len(values)
    mean = math.fsum(values) / n
    var = math.fsum((v - mean) ** 2 for v in values) / (n - 1) if n > 1 else math.nan
    return mean, var


def summarize(values: list[float], confidence: float = 0.95) -> Summary:
    """Mean, sample std and the two-sided t confidence interval of the mean."""
    n = len(values)
    if n == 0:
        return Summary(0, math.nan, math.nan, math.nan, math.nan)
    mean, var = _mean_var(values)
    if n < 2:
        return Summary(1, mean, math.nan, math.nan, math.nan)
    half = t_ppf(0.5 + confidence / 2, n - 1) * math.sqrt(var / n)
    return Summary(n, mean, math.sqrt(var), mean - half, mean + half)


def _t_result(test, diff, se, df, confidence, n_a, n_b) -> TestResult:
    if se == 0.0:
        # every difference identical (e.g. two groups of dead networks at 50 % accuracy)
        p = 1.0 if diff == 0.0 else 0.0
        return TestResult(test, diff, diff, diff, p, df, n_a, n_b)
    half = t_ppf(0.5 + confidence / 2, df) * se
    p = t_two_sided_p(diff / se, df)
    return TestResult(test, diff, diff - half, diff + half, p, df, n_a, n_b)


def paired_t_test(a: list[float], b: list[float], confidence: float = 0.95) -> TestResult:
    """Paired t-test of mean(a - b) = 0; ``a[i]`` and ``b[i]`` share a seed."""
    if len(a) != len(b) or len(a) < 2:
        raise ValueError(f"a paired test needs two samples of the same size >= 2, got {len(a)}, {len(b)}")
    d = [x - y for x, y in zip(a, b)]
    mean, var = _mean_var(d)
    return _t_result("paired", mean, math.sqrt(var / len(d)), len(d) - 1, confidence, len(a), len(b))


def welch_t_test(a: list[float], b: list[float], confidence: float = 0.95) -> TestResult:
    """Welch's unequal-variance t-test of mean(a) - mean(b) = 0 (Welch–Satterthwaite df)."""
    if len(a) < 2 or len(b) < 2:
        raise ValueError(f"Welch's test needs two samples of size >= 2, got {len(a)}, {len(b)}")
    ma, va = _mean_var(a)
    mb, vb = _mean_var(b)
    sa, sb = va / len(a), vb / len(b)
    se2 = sa + sb
    if se2 == 0.0:
        df = float(len(a) + len(b) - 2)
    else:
        df = se2**2 / (sa**2 / (len(a) - 1) + sb**2 / (len(b) - 1))
    return _t_result("welch", ma - mb, math.sqrt(se2), df, confidence, len(a), len(b))


def compare(
    a: dict[int, float], b: dict[int, float], confidence: float = 0.95
) -> TestResult | None:
    """Compare two groups given as {seed: value}: paired when their seeds match, else Welch.

    Returns None when either group has fewer than two values (nothing to test).
    """
    if len(a) < 2 or len(b) < 2:
        return None
    if set(a) == set(b):
        seeds = sorted(a)
        return paired_t_test([a[s] for s in seeds], [b[s] for s in seeds], confidence)
    return welch_t_test(list(a.values()), list(b.values()), confidence)


def holm(pvalues: list[float]) -> list[float]:
    """Holm's step-down adjusted p-values, in the order given (monotone, capped at 1)."""
    m = len(pvalues)
    order = sorted(range(m), key=lambda i: pvalues[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * pvalues[i]))
        adjusted[i] = running
    return adjusted
