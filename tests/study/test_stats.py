"""Statistics against scipy: t quantiles and CDF, intervals, paired and Welch tests, Holm."""

import math
import random

import pytest

scipy_stats = pytest.importorskip("scipy.stats")

from gradlab.study import stats, tdist


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


def test_paired_test_matches_scipy():
    a, b = _sample(10, 0.9, 0.03, 1), _sample(10, 0.85, 0.03, 2)
    r = stats.paired_t_test(a, b)
    ref = scipy_stats.ttest_rel(a, b)
    assert r.p == pytest.approx(ref.pvalue, rel=1e-9)
    ci = ref.confidence_interval(0.95)
    assert (r.ci_low, r.ci_high) == (pytest.approx(ci.low, rel=1e-9), pytest.approx(ci.high, rel=1e-9))


def test_welch_test_matches_scipy():
    a, b = _sample(7, 0.9, 0.01, 3), _sample(12, 0.87, 0.08, 4)
    r = stats.welch_t_test(a, b)
    ref = scipy_stats.ttest_ind(a, b, equal_var=False)
    assert r.p == pytest.approx(ref.pvalue, rel=1e-9)
    assert r.df == pytest.approx(ref.df, rel=1e-12)
    ci = ref.confidence_interval(0.95)
    assert (r.ci_low, r.ci_high) == (pytest.approx(ci.low, rel=1e-9), pytest.approx(ci.high, rel=1e-9))


def test_compare_pairs_by_seed_only_when_seeds_match():
    a = {0: 0.9, 1: 0.8, 2: 0.85}
    assert stats.compare(a, {0: 0.7, 1: 0.75, 2: 0.6}).test == "paired"
    assert stats.compare(a, {0: 0.7, 1: 0.75, 5: 0.6}).test == "welch"
    assert stats.compare(a, {0: 0.7}) is None


def test_identical_differences_give_a_degenerate_but_sane_result():
    # two groups of dead networks: every seed at 0.5 -> no spread at all
    r = stats.compare({0: 0.5, 1: 0.5}, {0: 0.5, 1: 0.5})
    assert (r.diff, r.p) == (0.0, 1.0)
    r = stats.compare({0: 0.9, 1: 0.8}, {0: 0.5, 1: 0.4})
    assert (r.diff, r.ci_low, r.ci_high, r.p) == (pytest.approx(0.4), pytest.approx(0.4), pytest.approx(0.4), 0.0)


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
