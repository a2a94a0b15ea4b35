"""Effect sizes checked against scipy-derived quantities on the same data."""

import math

import numpy as np
import pytest
from scipy import special, stats

from tamma_tui.stats import cliffs_delta, cohens_dz, conditional_odds_ratio, hedges_gz, rank_biserial, risk_difference


def _diffs(seed=0, n=30):
    rng = np.random.default_rng(seed)
    return rng.normal(0.4, 1.2, n)


def test_cohens_dz_equals_t_over_sqrt_n():
    d = _diffs()
    t = stats.ttest_1samp(d, 0.0).statistic
    assert cohens_dz(d) == pytest.approx(t / math.sqrt(d.size), rel=1e-12)


def test_hedges_gz_uses_exact_gamma_correction_close_to_the_usual_approximation():
    d = _diffs(1, n=12)
    df = d.size - 1
    j = special.gamma(df / 2) / (math.sqrt(df / 2) * special.gamma((df - 1) / 2))
    assert hedges_gz(d) == pytest.approx(cohens_dz(d) * j, rel=1e-12)
    assert hedges_gz(d) == pytest.approx(cohens_dz(d) * (1 - 3 / (4 * df - 1)), rel=2e-3)
    assert abs(hedges_gz(d)) < abs(cohens_dz(d))


def test_dz_constant_and_tiny_inputs():
    assert cohens_dz([0.3, 0.3, 0.3]) == math.inf
    assert cohens_dz([-0.3, -0.3]) == -math.inf
    assert cohens_dz([0.0, 0.0]) == 0.0
    assert math.isnan(cohens_dz([1.0]))
    assert cohens_dz([1.0, np.nan, 2.0, 3.0]) == pytest.approx(cohens_dz([1.0, 2.0, 3.0]))


def test_rank_biserial_matches_scipy_wilcoxon_rank_sum():
    rng = np.random.default_rng(3)
    x = rng.integers(0, 8, 40).astype(float)
    y = x + rng.integers(-2, 4, 40)
    d = y - x
    nz = d[d != 0]
    w_plus = stats.wilcoxon(nz, alternative="greater", method="approx").statistic  # W+ on non-zero diffs
    total = nz.size * (nz.size + 1) / 2
    assert rank_biserial(x, y) == pytest.approx(2 * w_plus / total - 1, rel=1e-12)
    assert rank_biserial(y, x) == pytest.approx(-rank_biserial(x, y))
    assert rank_biserial([1, 2], [1, 2]) == 0.0
    assert rank_biserial([0, 0, 0], [1, 2, 3]) == 1.0


def test_cliffs_delta_matches_mann_whitney_u():
    rng = np.random.default_rng(4)
    x = rng.integers(0, 10, 37).astype(float)  # ties on purpose
    y = rng.integers(2, 12, 23).astype(float)
    u = stats.mannwhitneyu(y, x).statistic  # counts y > x, ties as 1/2
    assert cliffs_delta(x, y) == pytest.approx(2 * u / (x.size * y.size) - 1, rel=1e-12)
    assert cliffs_delta(y, x) == pytest.approx(-cliffs_delta(x, y))
    brute = np.mean(np.sign(y[:, None] - x[None, :]))
    assert cliffs_delta(x, y) == pytest.approx(brute)


def test_risk_difference_and_conditional_odds_ratio():
    assert risk_difference(3, 9, 60) == pytest.approx(0.1)
    assert math.isnan(risk_difference(0, 0, 0))
    ratio, lo, hi = conditional_odds_ratio(5, 15, alpha=0.1)
    ci = stats.binomtest(15, 20).proportion_ci(confidence_level=0.9, method="exact")
    assert ratio == 3.0
    assert (lo, hi) == pytest.approx((ci.low / (1 - ci.low), ci.high / (1 - ci.high)), rel=1e-9)
    assert conditional_odds_ratio(0, 4)[0] == math.inf and conditional_odds_ratio(0, 4)[2] == math.inf
    assert conditional_odds_ratio(4, 0)[:2] == (0.0, 0.0)
    r, lo, hi = conditional_odds_ratio(0, 0)
    assert math.isnan(r) and (lo, hi) == (0.0, math.inf)


def test_a_constant_difference_of_rounded_means_has_no_effect_size():
    """Per-task means carry rounding error far above the difference's own ulps: a constant
    cost saving must still read as constant (no d_z of 1e14)."""
    import numpy as np

    from tamma_tui.stats import cohens_dz, paired_t

    rng = np.random.default_rng(0)
    base = rng.uniform(3e-4, 9e-4, 50)
    variant = base - 2e-5  # the same saving on every task, up to float rounding
    assert np.ptp(variant - base) > 0  # rounding really is there
    assert cohens_dz(variant - base) == -np.inf  # constant: certain, not a 1e14 "effect"
    result = paired_t(base, variant)
    assert result.ci_low == result.ci_high and result.p_value == 0.0
