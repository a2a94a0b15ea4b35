"""Change points on planted steps and on flat noise, with verdicts and noise floors."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
from scipy import stats

from tamma_tui.history import changes
from tamma_tui.history.series import RunPoint, Series

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


def series(values, se: float = 0.02, metric: str = "pass_rate") -> Series:
    points = tuple(RunPoint(i + 1, f"r{i}", T0 + timedelta(days=i), "baseline", "sha", "1", 40, float(v), se)
                   for i, v in enumerate(values))
    return Series("dev", "v1", "development", metric, "current", points)


@pytest.mark.parametrize("seed", range(10))
def test_planted_step_is_found_within_one_run(seed):
    rng = np.random.default_rng(seed)
    where = int(rng.integers(10, 30))
    values = np.r_[rng.normal(0.70, 0.03, where), rng.normal(0.62, 0.03, 40 - where)]
    found = changes.detect(series(values))
    assert found, "a 0.08 step at 2.7 sd must be found"
    best = min(found, key=lambda cp: abs(cp.index - where))
    assert abs(best.index - where) <= 1
    assert best.verdict == "regressed" and best.magnitude < 0
    assert best.ci_low < best.magnitude < best.ci_high < 0


def test_direction_follows_the_metric():
    rng = np.random.default_rng(3)
    values = np.r_[rng.normal(1.0, 0.05, 15), rng.normal(1.3, 0.05, 15)]  # latency went up
    (cp,) = changes.detect(series(values, se=0.01, metric="latency_s"))
    assert cp.verdict == "regressed"
    (cp,) = changes.detect(series(values, se=0.01, metric="pass_rate"))
    assert cp.verdict == "improved"


def test_flat_series_false_alarms_stay_within_the_stated_rate():
    """Over many seeds, series with no change raise a decisive change point in at most
    ALPHA of them (plus binomial slack at 99.9%)."""
    n_series = 300
    alarms = 0
    for seed in range(n_series):
        rng = np.random.default_rng(1000 + seed)
        found = changes.detect(series(rng.normal(0.6, 0.03, 40), se=0.03))
        alarms += any(cp.verdict != "inconclusive" for cp in found)
    limit = stats.binom.ppf(0.999, n_series, changes.ALPHA)
    assert alarms <= limit, f"{alarms} false alarms in {n_series} flat series"


def test_noise_floor_makes_a_small_step_inconclusive_and_says_how_many_runs_would_settle_it():
    rng = np.random.default_rng(5)
    values = np.r_[rng.normal(0.70, 0.004, 12), rng.normal(0.68, 0.004, 4)]
    quiet = changes.detect(series(values, se=0.001))
    assert quiet and quiet[0].verdict == "regressed"
    # The runs' own sampling noise (se 0.03 per run) says a 0.02 step over 4 runs is noise.
    noisy = changes.detect(series(values, se=0.03))
    assert noisy and noisy[0].verdict == "inconclusive"
    # Runs after it alone cannot beat 12 noisy runs before; more trials per run can.
    assert noisy[0].more_runs is not None or noisy[0].trials_factor > 1


def test_extra_noise_from_pinned_or_aa_raises_the_floor():
    pts = series([0.5] * 5, se=0.01).points
    assert changes.noise_floor(pts) == pytest.approx(0.01)
    assert changes.noise_floor(pts, extra_sd=0.05) == pytest.approx(0.05)


def test_welch_interval_matches_scipy():
    rng = np.random.default_rng(9)
    a, b = rng.normal(0, 1, 12), rng.normal(0.5, 2, 9)
    low, high = changes.welch_interval(a, b, 0.05)
    res = stats.ttest_ind(b, a, equal_var=False)
    ci = res.confidence_interval(0.95)
    assert (low, high) == pytest.approx((ci.low, ci.high), rel=1e-9)


def test_position_against_the_current_level():
    level = {"mean": 0.7, "sd": 0.02, "since_run": 1, "n_runs": 10}
    assert changes.position(0.69, level, 0.0, "pass_rate")["where"] == "within"
    assert changes.position(0.60, level, 0.0, "pass_rate")["where"] == "below (worse)"
    assert changes.position(0.60, level, 0.0, "latency_s")["where"] == "above (better)"


def test_pooled_t_matches_scipy_and_stays_quiet_on_near_constant_sides():
    import warnings

    from tamma_tui.stats.changepoints import pooled_t_p

    rng = np.random.default_rng(2)
    a, b = rng.normal(0, 1, 7), rng.normal(0.4, 1, 11)
    assert pooled_t_p(a, b) == pytest.approx(stats.ttest_ind(a, b, equal_var=True).pvalue, rel=1e-10)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert pooled_t_p(np.full(5, 0.001) + 1e-19, np.full(5, 0.001)) == 1.0
        assert pooled_t_p(np.full(5, 0.001), np.full(5, 0.002)) == 0.0
