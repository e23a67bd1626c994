"""Statistics against scipy and hand-computed references, the few-seed edge cases first.

t quantiles and CDF, the bounded t-interval of a group mean, the exact sign-flip and two-sample
permutation tests (scipy's ``permutation_test`` enumerates the same relabellings), the intervals
that invert them (a brute-force scan of shifts), Holm's correction.
"""

import math
import random

import pytest

scipy_stats = pytest.importorskip("scipy.stats")
np = pytest.importorskip("numpy")

from gradlab.study import permutation, stats, tdist

ACCURACY = (0.0, 1.0)


@pytest.mark.parametrize("df", [1, 2, 3.7, 9, 29, 250], ids=lambda d: f"df={d}")
def test_t_cdf_and_ppf_match_scipy(df):
    for t in [-12.0, -2.5, -0.4, 0.0, 0.7, 1.96, 8.0]:
        assert tdist.t_cdf(t, df) == pytest.approx(scipy_stats.t.cdf(t, df), abs=1e-12)
        assert tdist.t_two_sided_p(t, df) == pytest.approx(
            2 * scipy_stats.t.sf(abs(t), df), rel=1e-10, abs=1e-14
        )
    for q in [1e-4, 0.025, 0.3, 0.5, 0.9, 0.975, 0.9995]:
        assert tdist.t_ppf(q, df) == pytest.approx(scipy_stats.t.ppf(q, df), rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("a,b,x", [(0.5, 0.5, 0.3), (2.0, 7.5, 0.1), (40.0, 3.0, 0.95), (4.5, 0.5, 0.999)])
def test_betainc_matches_scipy(a, b, x):
    from scipy.special import betainc

    assert tdist.betainc(a, b, x) == pytest.approx(betainc(a, b, x), rel=1e-12)


def _sample(n, mu, sigma, seed):
    rng = random.Random(seed)
    return [rng.gauss(mu, sigma) for _ in range(n)]


@pytest.mark.parametrize("n", [2, 5, 30], ids=lambda n: f"n={n}")
def test_summary_interval_matches_scipy(n):
    xs = _sample(n, 0.8, 0.05, n)
    s = stats.summarize(xs)
    lo, hi = scipy_stats.t.interval(0.95, n - 1, loc=sum(xs) / n, scale=scipy_stats.sem(xs))
    assert (s.n, s.ci_low, s.ci_high) == (n, pytest.approx(lo, rel=1e-10), pytest.approx(hi, rel=1e-10))
    assert s.std == pytest.approx(scipy_stats.tstd(xs), rel=1e-12)


def test_an_accuracy_interval_stays_within_0_and_1():
    # the case: two seeds near the top gave 0.7312..1.004
    xs = [0.985, 0.9]
    raw = scipy_stats.t.interval(0.95, 1, loc=np.mean(xs), scale=scipy_stats.sem(xs))
    assert raw[1] > 1  # what the plain t-interval says
    s = stats.summarize(xs, bounds=stats.metric_bounds("dev_accuracy"))
    assert (s.ci_low, s.ci_high) == (pytest.approx(raw[0], rel=1e-10), 1.0)
    s = stats.summarize([0.97, 0.99, 0.995, 1.0], bounds=ACCURACY)
    assert s.ci_high == 1.0 and s.ci_low == pytest.approx(
        scipy_stats.t.interval(0.95, 3, loc=0.98875, scale=scipy_stats.sem([0.97, 0.99, 0.995, 1.0]))[0])
    assert stats.metric_bounds("dev_loss") == (0.0, math.inf)
    assert stats.metric_bounds("best_epoch") == (0.0, math.inf)


def _scipy_paired_p(a, b):
    ref = scipy_stats.permutation_test(
        (np.array(a), np.array(b)), lambda x, y: np.mean(x - y), permutation_type="samples",
        n_resamples=np.inf, alternative="two-sided")
    return ref.pvalue


def _scipy_unpaired_p(a, b):
    ref = scipy_stats.permutation_test(
        (np.array(a), np.array(b)), lambda x, y: np.mean(x) - np.mean(y),
        permutation_type="independent", n_resamples=np.inf, alternative="two-sided")
    return ref.pvalue


@pytest.mark.parametrize("n", [3, 6, 10], ids=lambda n: f"n={n}")
def test_sign_flip_p_matches_scipy_exact_permutation_test(n):
    a, b = _sample(n, 0.9, 0.03, n), _sample(n, 0.87, 0.03, n + 100)
    r = stats.compare(dict(enumerate(a)), dict(enumerate(b)), bounds=ACCURACY)
    assert r.test == "sign-flip" and r.exact
    assert r.p == pytest.approx(_scipy_paired_p(a, b), rel=1e-12)
    assert r.diff == pytest.approx(np.mean(a) - np.mean(b), rel=1e-12)
    assert r.min_p == 2 / 2**n


def test_two_sample_p_matches_scipy_exact_permutation_test():
    a, b = _sample(5, 0.9, 0.02, 3), _sample(6, 0.85, 0.05, 4)
    r = stats.compare(dict(enumerate(a)), {s + 10: v for s, v in enumerate(b)}, bounds=ACCURACY)
    assert r.test == "permutation" and r.exact
    assert r.p == pytest.approx(_scipy_unpaired_p(a, b), rel=1e-12)
    assert r.min_p == pytest.approx(1 / math.comb(11, 5))


def test_two_seeds_that_differ_by_the_same_amount_prove_nothing():
    # the case: every seed +0.0375 -> a t-test says p = 0 and CI +0.0375..+0.0375
    r = stats.compare({0: 0.4, 1: 0.43}, {0: 0.3625, 1: 0.3925}, bounds=ACCURACY)
    assert r.diff == pytest.approx(0.0375)
    assert r.p == 0.5 and r.too_few  # of the 4 sign patterns, 2 are as extreme
    assert (r.ci_low, r.ci_high) == (-1.0, 1.0)  # any difference an accuracy allows


def test_zero_variance_differences_get_the_exact_p_of_their_sign_pattern():
    base = _sample(6, 0.5, 0.05, 9)
    r = stats.compare({s: v + 0.1 for s, v in enumerate(base)}, dict(enumerate(base)), bounds=ACCURACY)
    # hand-computed: only "all +" and "all -" of 2**6 sign patterns are this extreme
    assert r.p == pytest.approx(2 / 64) and not r.too_few
    assert (r.ci_low, r.ci_high) == (pytest.approx(0.1), pytest.approx(0.1))
    r5 = stats.compare({s: v + 0.1 for s, v in enumerate(base[:5])}, dict(enumerate(base[:5])))
    assert r5.p == pytest.approx(2 / 32) and r5.too_few  # 5 seeds can never reach 0.05
    assert (r5.ci_low, r5.ci_high) == (-math.inf, math.inf)  # unbounded metric: no interval


def test_identical_groups_and_round_off_differences_are_exactly_zero():
    r = stats.compare({0: 0.5, 1: 0.5, 2: 0.5}, {0: 0.5, 1: 0.5, 2: 0.5})
    assert (r.diff, r.p) == (0.0, 1.0)
    # 0.1 + 0.2 and 0.3 differ by 5.6e-17: noise, not a difference
    a = {0: 0.1 + 0.2, 1: 0.7, 2: 0.4}
    r = stats.compare(a, {0: 0.3, 1: 0.7, 2: 0.4})
    assert r.diff == 0.0 and r.p == 1.0
    assert stats.denoise(-2.78e-17, 0.35) == 0.0 and stats.denoise(1e-6, 0.35) == 1e-6


@pytest.mark.parametrize("paired", [True, False], ids=["sign-flip", "two-sample"])
def test_interval_is_the_set_of_shifts_the_test_keeps(paired):
    a, b = _sample(8, 0.8, 0.05, 21), _sample(8, 0.75, 0.05, 22)
    if paired:
        test = permutation.sign_flip_test([x - y for x, y in zip(a, b)])
    else:
        test = permutation.two_sample_test(a, b)
    lo, hi = permutation.invert(test, 0.05, (-1.0, 1.0))
    # brute force: scan shifts on a fine grid, keep those with p >= alpha
    grid = np.linspace(-0.3, 0.4, 1401)
    kept = [d for d in grid if test.p(d) >= 0.05]
    step = grid[1] - grid[0]
    assert lo == pytest.approx(min(kept), abs=step) and hi == pytest.approx(max(kept), abs=step)
    assert (lo <= 0 <= hi) == (test.p(0.0) >= 0.05)


def test_many_seeds_use_a_fixed_random_subset_close_to_the_exact_answer():
    a, b = _sample(20, 0.8, 0.05, 31), _sample(20, 0.78, 0.05, 32)
    r1 = stats.compare(dict(enumerate(a)), dict(enumerate(b)))
    r2 = stats.compare(dict(enumerate(a)), dict(enumerate(b)))
    assert not r1.exact and r1.p == r2.p  # deterministic
    ref = scipy_stats.permutation_test(
        (np.array(a), np.array(b)), lambda x, y: np.mean(x - y), permutation_type="samples",
        n_resamples=200_000, alternative="two-sided", random_state=1)
    assert r1.p == pytest.approx(ref.pvalue, abs=0.01)


def test_compare_pairs_by_seed_only_when_seeds_match():
    a = {0: 0.9, 1: 0.8, 2: 0.85}
    assert stats.compare(a, {0: 0.7, 1: 0.75, 2: 0.6}).test == "sign-flip"
    assert stats.compare(a, {0: 0.7, 1: 0.75, 5: 0.6}).test == "permutation"
    assert stats.compare(a, {0: 0.7}) is None


def test_holm_matches_statsmodels_definition():
    ps = [0.01, 0.04, 0.03, 0.005, 0.5]
    # brute force: sort, multiply by (m - rank), running max, cap at 1, put back in place
    order = sorted(range(5), key=lambda i: ps[i])
    expected, running = [0.0] * 5, 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (5 - rank) * ps[i]))
        expected[i] = running
    assert stats.holm(ps) == pytest.approx(expected)
    assert stats.holm(ps) == pytest.approx([0.04, 0.09, 0.09, 0.025, 0.5])
    if hasattr(scipy_stats, "false_discovery_control"):
        # Holm is never more lenient than Benjamini-Hochberg
        assert all(h >= f - 1e-12 for h, f in zip(stats.holm(ps), scipy_stats.false_discovery_control(ps)))
