"""The training-curve bands' percentiles equal numpy's nanpercentile (the brute-force twin)."""

import warnings

import numpy as np
import pytest

from gradlab.report.curves_figure import nan_quantiles


@pytest.mark.parametrize("seed", range(20))
def test_nan_quantiles_equal_nanpercentile(seed):
    rng = np.random.default_rng(seed)
    ys = rng.normal(size=(int(rng.integers(1, 12)), int(rng.integers(1, 40))))
    ys[rng.random(ys.shape) < 0.3] = np.nan
    ys[:, 0] = np.nan  # an epoch every seed skipped
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        expected = [np.nanpercentile(ys, q, axis=0) for q in (50, 25, 75)]
    for want, got in zip(expected, nan_quantiles(ys, (50, 25, 75))):
        np.testing.assert_allclose(got, want, equal_nan=True)


def test_a_diverged_seed_stays_infinite_where_numpy_gives_nan():
    """numpy interpolates inf - inf to NaN; the band keeps inf, so the figure marks it off-scale."""
    ys = np.array([[np.inf, 1.0], [np.inf, 3.0]])
    mid, q1, q3 = nan_quantiles(ys, (50, 25, 75))
    assert mid[0] == np.inf and q1[0] == np.inf and q3[0] == np.inf
    assert (mid[1], q1[1], q3[1]) == (2.0, 1.5, 2.5)
