"""Change-point detectors: split criteria against brute force with scipy, detection and false alarms."""

import math
import warnings

import numpy as np
import pytest
from scipy import stats
from scipy.spatial.distance import cdist, pdist

from tamma_tui.stats import binary_segmentation, e_divisive_means
from tamma_tui.stats.changepoints import energy_split_criterion, mean_shift_split_criterion


def test_energy_criterion_matches_brute_force_distances():
    x = np.random.default_rng(0).normal(size=25)
    got = energy_split_criterion(x, min_size=3)
    for tau in range(3, 23):
        left, right = x[:tau, None], x[tau:, None]
        n, m = tau, 25 - tau
        q = n * m / 25 * (2 * cdist(left, right).mean() - pdist(left).mean() - pdist(right).mean())
        assert got[tau] == pytest.approx(q, rel=1e-9)
    assert np.isnan(got[:3]).all() and np.isnan(got[23:]).all()


def test_mean_shift_criterion_is_the_drop_in_sum_of_squares():
    x = np.random.default_rng(1).normal(5, 2, 30)
    got = mean_shift_split_criterion(x, min_size=2)
    ss = lambda v: float(np.sum((v - v.mean()) ** 2))  # noqa: E731
    for tau in range(2, 29):
        assert got[tau] == pytest.approx(ss(x) - ss(x[:tau]) - ss(x[tau:]), rel=1e-9)


@pytest.mark.parametrize("detector", [e_divisive_means, binary_segmentation])
def test_finds_a_clear_step_with_an_adjusted_t_test_p(detector):
    rng = np.random.default_rng(2)
    x = np.r_[rng.normal(10, 0.5, 30), rng.normal(13, 0.5, 25)]
    (cp,) = detector(x)
    assert cp.index == 30
    raw = stats.ttest_ind(x[:30], x[30:], equal_var=True).pvalue
    assert cp.raw_p_value == pytest.approx(raw)
    assert cp.p_value == pytest.approx(min(1.0, raw * (55 - 2 * 3 + 1)))
    assert cp.mean_before == pytest.approx(x[:30].mean()) and cp.mean_after == pytest.approx(x[30:].mean())


@pytest.mark.parametrize("detector", [e_divisive_means, binary_segmentation])
def test_two_steps_and_degenerate_series(detector):
    rng = np.random.default_rng(3)
    x = np.r_[rng.normal(0, 1, 40), rng.normal(4, 1, 30), rng.normal(1, 1, 40)]
    assert [cp.index for cp in detector(x)] == pytest.approx([40, 70], abs=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert detector([1.0] * 20) == []
        levels = detector([1.0] * 10 + [2.0] * 10)
        assert [cp.index for cp in levels] == [10] and levels[0].p_value == 0.0
        assert detector([1.0, 2.0]) == []
    with_nan = np.r_[x[:40], np.nan, x[40:]]
    assert [cp.index for cp in detector(with_nan)] == [cp.index for cp in detector(x)]


@pytest.mark.parametrize("detector", [e_divisive_means, binary_segmentation])
def test_false_alarm_rate_on_noise_is_near_alpha(detector):
    alarms = sum(bool(detector(np.random.default_rng(100 + s).normal(size=60))) for s in range(200))
    assert alarms / 200 <= 0.05 + 3 * math.sqrt(0.05 * 0.95 / 200)
