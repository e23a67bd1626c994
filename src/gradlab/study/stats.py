"""Effects with confidence: per-group summaries and tests against a baseline.

A *group* is every trial of one configuration (all axes but the seed). For each group: n, mean,
standard deviation and a 95 % Student t-interval of the mean, cut to the range the metric can
take (an accuracy's interval stays within [0, 1]; cutting never drops the true mean, which lies
in that range, so the coverage is unchanged). For each group against its baseline: the
difference of means, and an exact permutation test with the interval that inverts it
(:mod:`gradlab.study.permutation`) — the sign-flip test by seed when both groups have the same
seeds (the seed fixes data and initialization, so pairing removes that shared noise), the
two-sample permutation test otherwise — with Holm's step-down correction across all comparisons
of a study. ``docs/statistics.md`` explains the choices to users.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from gradlab.study.permutation import invert, sign_flip_test, two_sample_test
from gradlab.study.tdist import t_ppf

UNBOUNDED = (-math.inf, math.inf)
# differences this small next to the values compared are float round-off (0.1 + 0.2 - 0.3)
NOISE = 1e-12


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
    """A difference of means (a - b), its interval and its exact two-sided p-value.

    Attributes:
        test: ``"sign-flip"`` (paired by seed) or ``"permutation"`` (unpaired).
        min_p: the smallest p-value these seeds allow at all; when it is not below alpha the test
            can never find a difference (:attr:`too_few`), and the interval is the metric's range.
        exact: every relabelling enumerated (else a fixed-seed random subset of them).
    """

    test: str
    diff: float
    ci_low: float
    ci_high: float
    p: float
    n_a: int
    n_b: int
    min_p: float
    exact: bool = True
    alpha: float = 0.05
    p_holm: float | None = None

    @property
    def too_few(self) -> bool:
        """True when no outcome of these seeds could reach ``p < alpha``."""
        return self.min_p >= self.alpha


def denoise(x: float, scale: float = 1.0) -> float:
    """``x`` as 0.0 when it is float round-off next to numbers of size ``scale``."""
    return 0.0 if abs(x) <= NOISE * max(abs(scale), 1.0) else x


def _mean_var(values: list[float]) -> tuple[float, float]:
    n = len(values)
    mean = math.fsum(values) / n
    var = math.fsum((v - mean) ** 2 for v in values) / (n - 1) if n > 1 else math.nan
    return mean, var


def metric_bounds(metric: str) -> tuple[float, float]:
    """The values a trial metric can take, from its name (``dev_accuracy`` -> ``(0, 1)``).

    Accuracies are shares; losses (BCE, CE, MSE), epochs and wall times are never negative;
    anything else is unbounded.
    """
    kind = metric.rsplit("_", 1)[-1]
    if kind == "accuracy":
        return 0.0, 1.0
    if kind in ("loss", "mse", "epoch", "run", "time"):
        return 0.0, math.inf
    return UNBOUNDED


def summarize(values: list[float], confidence: float = 0.95,
              bounds: tuple[float, float] = UNBOUNDED) -> Summary:
    """Mean, sample std and the two-sided t-interval of the mean, cut to ``bounds``.

    Args:
        values: one value per seed.
        confidence: the interval's level.
        bounds: the range the metric can take, e.g. ``(0, 1)`` for an accuracy.
    """
    n = len(values)
    if n == 0:
        return Summary(0, math.nan, math.nan, math.nan, math.nan)
    mean, var = _mean_var(values)
    if n < 2:
        return Summary(1, mean, math.nan, math.nan, math.nan)
    std = denoise(math.sqrt(var), mean)
    half = t_ppf(0.5 + confidence / 2, n - 1) * std / math.sqrt(n)
    return Summary(n, mean, std, max(mean - half, bounds[0]), min(mean + half, bounds[1]))


def difference_bounds(bounds: tuple[float, float]) -> tuple[float, float]:
    """The range of a difference of two values of a metric with range ``bounds``."""
    width = bounds[1] - bounds[0]
    return -width, width


def compare(a: dict[int, float], b: dict[int, float], alpha: float = 0.05,
            bounds: tuple[float, float] = UNBOUNDED) -> TestResult | None:
    """Compare two groups given as {seed: value}: sign-flip when their seeds match, else unpaired.

    Args:
        a: one group's values by seed.
        b: the other group's (the baseline's); the difference is ``a - b``.
        alpha: the level of the interval (``1 - alpha``) and of "too few seeds".
        bounds: the range the metric can take; the interval stays within the differences'.

    Returns:
        None when either group has fewer than two values (nothing to test).
    """
    if len(a) < 2 or len(b) < 2:
        return None
    scale = max(abs(v) for v in [*a.values(), *b.values()])
    if set(a) == set(b):
        seeds = sorted(a)
        kind, test = "sign-flip", sign_flip_test([denoise(a[s] - b[s], scale) for s in seeds])
    else:
        kind, test = "permutation", two_sample_test(list(a.values()), list(b.values()))
    low, high = invert(test, alpha, difference_bounds(bounds))
    return TestResult(kind, denoise(test.estimate, scale), denoise(low, scale), denoise(high, scale),
                      test.p(0.0), len(a), len(b), test.min_p, test.exact, alpha)


def holm_family(tests: list) -> list[float | None]:
    """Holm-adjusted p-values of ``tests`` (each with ``.p`` and ``.too_few``), in their order.

    The family is the tests that could be significant at all (Tarone, 1990): one whose smallest
    possible p-value is not below alpha (too few seeds, or identical on every seed) can reject
    nothing, and counting it would only weaken the others. Those outside get None.
    """
    family = [i for i, t in enumerate(tests) if not t.too_few and t.p is not None]
    adjusted: list[float | None] = [None] * len(tests)
    for i, p in zip(family, holm([float(tests[i].p) for i in family])):
        adjusted[i] = p
    return adjusted


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
