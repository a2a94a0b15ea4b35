"""mSPRT always-valid p-values: the mixture likelihood ratio against scipy densities, validity by simulation."""

import math
import warnings

import numpy as np
import pytest
from scipy import stats

from tamma_tui.stats import msprt_pvalues


def _mixture_lr(prefix, sigma, tau):
    # The normal mixture over theta ~ N(0, tau^2) integrates to a ratio of densities of the
    # sample mean: N(mean; 0, sigma^2/n + tau^2) / N(mean; 0, sigma^2/n).
    n = prefix.size
    m = prefix.mean()
    return stats.norm.pdf(m, 0, math.sqrt(sigma**2 / n + tau**2)) / stats.norm.pdf(m, 0, sigma / math.sqrt(n))


def test_known_sigma_matches_mixture_density_ratio():
    d = np.random.default_rng(0).normal(0.2, 1.0, 80)
    got = msprt_pvalues(d, tau=0.3, sigma=1.0)
    p, expected = 1.0, []
    for n in range(1, d.size + 1):
        p = min(p, 1 / _mixture_lr(d[:n], 1.0, 0.3))
        expected.append(min(p, 1.0))
    assert got == pytest.approx(np.array(expected), rel=1e-9)


def test_estimated_sigma_uses_running_sd_after_burn_in():
    d = np.random.default_rng(1).normal(0.4, 2.0, 60)
    got = msprt_pvalues(d, tau=0.5, min_n=10)
    assert np.all(got[:9] == 1.0)
    p, expected = 1.0, []
    for n in range(10, d.size + 1):
        p = min(p, 1 / _mixture_lr(d[:n], d[:n].std(ddof=1), 0.5))
        expected.append(min(p, 1.0))
    assert got[9:] == pytest.approx(np.array(expected), rel=1e-8)


def test_pvalues_are_in_unit_interval_non_increasing_and_skip_nan():
    d = np.random.default_rng(2).normal(0.5, 1.0, 100)
    d[[5, 40]] = np.nan
    p = msprt_pvalues(d, tau=0.5, sigma=1.0)
    assert p.shape == d.shape
    assert np.all((p >= 0) & (p <= 1)) and np.all(np.diff(p) <= 0)
    assert p[5] == p[4] and p[-1] < 0.01
    clean = msprt_pvalues(d[~np.isnan(d)], tau=0.5, sigma=1.0)
    assert p[~np.isnan(d)] == pytest.approx(clean)


def test_constant_stream_does_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert msprt_pvalues([0.3] * 12, tau=0.2)[-1] == 0.0
        assert msprt_pvalues([0.0] * 12, tau=0.2)[-1] == 1.0
        assert msprt_pvalues([], tau=0.2).size == 0
    with pytest.raises(ValueError):
        msprt_pvalues([1.0], tau=0.0)


def test_type_one_error_is_controlled_under_continuous_peeking():
    rng = np.random.default_rng(3)
    streams = rng.normal(0.0, 1.0, size=(2000, 300))
    rejected = sum(msprt_pvalues(s, tau=0.3, sigma=1.0)[-1] < 0.05 for s in streams)
    # Peeking after every observation with a fixed-n t test would reject far more often.
    assert rejected / 2000 <= 0.05 + 3 * math.sqrt(0.05 * 0.95 / 2000)


def test_confidence_sequence_boundary_is_where_the_shifted_msprt_hits_alpha():
    from tamma_tui.stats import msprt_confidence_sequence
    from tamma_tui.stats.sequential import msprt_log_lr

    d = np.random.default_rng(5).normal(0.3, 1.0, 120)
    low, high = msprt_confidence_sequence(d, tau=0.4, alpha=0.1, sigma=1.0)
    for n in (1, 10, 60, 120):
        m = d[:n].mean()
        # raw (not intersected) boundary theta0 = m - half: the data shifted by theta0 have
        # mean `half`, and their mixture likelihood ratio is exactly 1 / alpha there
        half = math.sqrt((1 + n * 0.16) / (n * n * 0.16) * (math.log(1 + n * 0.16) - 2 * math.log(0.1)))
        assert float(msprt_log_lr(n, half, 1.0, 0.4)) == pytest.approx(-math.log(0.1))
        assert low[n - 1] >= m - half - 1e-12 and high[n - 1] <= m + half + 1e-12
    assert np.all(np.diff(low) >= 0) and np.all(np.diff(high) <= 0)
    p = msprt_pvalues(d, tau=0.4, sigma=1.0)
    assert np.array_equal((low > 0) | (high < 0), p < 0.1)


def test_confidence_sequence_covers_the_truth_under_peeking():
    from tamma_tui.stats import msprt_confidence_sequence

    rng = np.random.default_rng(6)
    misses = 0
    for _ in range(1000):
        low, high = msprt_confidence_sequence(rng.normal(0.25, 1.0, 200), tau=0.3, alpha=0.05, sigma=1.0)
        misses += bool(np.any((low > 0.25) | (high < 0.25)))
    assert misses / 1000 <= 0.05 + 3 * math.sqrt(0.05 * 0.95 / 1000)
