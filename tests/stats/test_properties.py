"""Properties every paired test must keep, over many random data sets (no hypothesis dependency)."""

import math
import warnings

import numpy as np
import pytest

from tamma_tui.stats import (
    bca_bootstrap,
    mcnemar_exact,
    msprt_pvalues,
    noninferiority_test,
    paired_t,
    wilcoxon_signed_rank,
)

SEEDS = range(25)


def _data(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 60))
    x = rng.normal(0, 1, n)
    y = x + rng.normal(rng.uniform(-1, 1), rng.uniform(0.1, 2), n)
    if seed % 3 == 0:  # ties and zero differences, as with token counts
        x, y = np.round(x), np.round(y)
    if seed % 4 == 0:
        x[0] = np.nan
    return x, y


def _mirrored(a, b):
    assert a.p_value == pytest.approx(b.p_value, rel=1e-12, abs=1e-15)
    assert 0 <= a.p_value <= 1
    assert a.estimate == pytest.approx(-b.estimate, abs=1e-12)
    if not math.isnan(a.ci_low):
        assert a.ci_low == pytest.approx(-b.ci_high, abs=1e-12)
        assert a.ci_high == pytest.approx(-b.ci_low, abs=1e-12)
        assert a.ci_low <= a.estimate <= a.ci_high


@pytest.mark.parametrize("seed", SEEDS)
def test_swapping_arms_flips_the_sign_and_keeps_p(seed):
    x, y = _data(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # none of these may warn on ordinary data
        _mirrored(paired_t(x, y), paired_t(y, x))
        _mirrored(wilcoxon_signed_rank(x, y), wilcoxon_signed_rank(y, x))
        xb, yb = (x > 0).astype(float), (y > 0).astype(float)
        keep = ~(np.isnan(x) | np.isnan(y))
        xb, yb = xb[keep], yb[keep]
        b, c = int(np.sum((xb == 1) & (yb == 0))), int(np.sum((xb == 0) & (yb == 1)))
        both = int(np.sum((xb == 1) & (yb == 1)))
        _mirrored(mcnemar_exact(b, c, xb.size, both_pass=both), mcnemar_exact(c, b, xb.size, both_pass=both))


@pytest.mark.parametrize("seed", SEEDS)
def test_pvalues_and_bounds_stay_in_range(seed):
    x, y = _data(seed)
    for higher in (True, False):
        res = noninferiority_test(x, y, margin=0.3, higher_is_better=higher)
        assert 0 <= res.p_value <= 1
        assert res.extra["non_inferior"] == (res.p_value < 0.05)
    p = msprt_pvalues(y - x, tau=0.5)
    assert np.all((p >= 0) & (p <= 1)) and np.all(np.diff(p) <= 0)
    low, high = bca_bootstrap(y - x, n_resamples=300, seed=seed)
    assert low <= high


@pytest.mark.parametrize("shift", [-2.0, 0.0, 0.5])
def test_constant_difference_everywhere_gives_zero_width_without_warnings(shift):
    x = np.linspace(0, 1, 9)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        t = paired_t(x, x + shift)
        w = wilcoxon_signed_rank(x, x + shift)
        boot = bca_bootstrap(np.full(9, shift))
    assert t.ci_low == t.ci_high == pytest.approx(shift) and boot == pytest.approx((shift, shift))
    assert 0 <= w.p_value <= 1 and (w.p_value == 1.0) == (shift == 0)
